// How many nodes of each label and edges of each type, on FalkorDB: the counts the server keeps at hand,
// in one call (a count inside a UNION, as counts.neo4j.cypher has it, makes FalkorDB scan every edge).
// returns: labels {label: count}, relTypes {type: count}
CALL db.meta.stats() YIELD labels, relTypes
RETURN labels, relTypes
