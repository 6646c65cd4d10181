"""The video stream provider: which events have a stream, polled over HTTP into ``Event.video``.

``protocol`` is the wire format, ``adapter`` the poller run by ``manage.py run_provider <name>``
for providers of kind "video", ``simulator`` a provider to test and demo against
(``manage.py video_simulator``).
"""
