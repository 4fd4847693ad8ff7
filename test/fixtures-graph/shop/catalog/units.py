UNITS = ["kg"]
