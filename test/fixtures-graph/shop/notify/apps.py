from .base_config import BaseNotifyConfig


class NotifyConfig(BaseNotifyConfig):
    # Both classes are AppConfig subclasses in this module's namespace; `default = True`
    # makes Django pick this one. Its ready() is inherited.
    default = True
    name = "notify"
