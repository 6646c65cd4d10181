"""The Unified Odds Feed (UOF): XML messages over AMQP from a topic exchange ``unifiedfeed``."""
