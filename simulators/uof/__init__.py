"""The UOF feed simulator: a sports world that speaks the Unified Odds Feed.

``manage.py feed_simulator`` runs it: the stream goes to a RabbitMQ topic exchange (``world.py``
makes the messages, ``xml.py`` writes them, ``publisher.py`` sends them) and ``api.py`` serves the
provider's HTTP API (recovery, fixtures, producers) plus controls for tests.
"""
