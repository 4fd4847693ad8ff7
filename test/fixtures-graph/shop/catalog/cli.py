if __name__ == "__main__":
    import catalog.reports  # noqa: F401
