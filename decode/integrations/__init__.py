"""Integrations with other libraries' interfaces, each imported only when asked for.

    rellm      complete_re: a drop-in for `from rellm import complete_re`
    langchain  ConstrainedLLM (also named RELLM): a langchain-core LLM (needs the `langchain` extra)

Both are also importable under their short names, `decode.rellm` and `decode.langchain`
(the package root maps those names onto these modules: one module object, two names).
"""
