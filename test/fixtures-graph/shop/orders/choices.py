STATUSES = ["new", "paid"]
