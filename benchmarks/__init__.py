"""tarjama's benchmark: ``python -m benchmarks`` (``make bench``).

Shape twins of the published models (the real architecture and vocabulary size, random
weights) decode inputs of fixed token counts with forced output lengths, so every engine
does exactly the same work; each configuration runs in a fresh process (its own peak RSS).
An end-to-end mode sends articles through the real queue and a real worker.
Not a test: figures vary machine to machine; ratios measured in one run are what count.
"""
