pytest_plugins = ["tests.support.seaweed_fixture"]
