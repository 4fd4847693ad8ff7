REFUND = True
