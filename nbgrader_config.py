# nbgrader reads nbgrader_config.py from the folder it runs in; the course settings live in autograder/.
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821 (defined by traitlets while it loads config)
