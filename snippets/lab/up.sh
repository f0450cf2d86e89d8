uvx nox -s lab
