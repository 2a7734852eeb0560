"""Router adapters: the catalogue files, the Faust publisher."""
