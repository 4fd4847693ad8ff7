PriceTable = dict
