from .workflows import checkout, refund  # noqa: F401  eager: every workflow
