pytest_plugins = ["tests.support.seaweed_fixture", "tests.support.postgres_fixture"]
