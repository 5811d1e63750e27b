# Standard guest driver (docs/testing/real-kernel.md): h1/h2 pair, then one round per folder
# UMLWORK/rounds/* in name order, all in one Python process.
exec /usr/bin/python3 "$UMLSRC/pkt.py" rounds "$UMLWORK"
