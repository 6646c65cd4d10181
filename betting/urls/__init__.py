"""URL maps: ``public`` for the platform's own domain, ``brand`` for every brand's domains."""
