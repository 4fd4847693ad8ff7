class App:
    def autodiscover_tasks(self):
        import catalog.tasks  # noqa: F401  (a worker imports tasks, setup does not)


app = App()
