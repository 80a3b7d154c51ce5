// What lies within every area (the scope of the whole city) beside the households located somewhere
// (located_households), for the caller to add to what it keeps a revision (each member's households,
// contact_reach; the RESIDES_IN edges, edges_dated), without a walk from each area: the members with a
// CONTACTS or RESIDES_IN edge to a household with no LOCATED_IN edge (h.homes, kept by set_home, counts
// them), each pair once; and the members who both live in and contact a household, each pair once. Every
// edge counts, whatever its dates. A list with nothing in it comes as no row.
// returns: what ('unlocated' or 'both'), pairs [[member, household]]
MATCH (h:Household)
WHERE coalesce(h.homes, 0) = 0
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h)
RETURN 'unlocated' AS what, collect(DISTINCT [m.id, h.id]) AS pairs
UNION ALL
MATCH (m:Member)-[:RESIDES_IN]->(h:Household)<-[:CONTACTS]-(m)
RETURN 'both' AS what, collect(DISTINCT [m.id, h.id]) AS pairs
