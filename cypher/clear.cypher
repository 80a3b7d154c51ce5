// Remove everything from the graph (tests and benchmarks start from nothing; the schema is made again after).
MATCH (n)
DETACH DELETE n
