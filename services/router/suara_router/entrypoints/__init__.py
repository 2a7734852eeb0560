"""Router entrypoints: the Faust app and the process main."""
