// What lies within every area (the scope of the whole city), for the caller to add to what it keeps a
// revision (each member's households, contact_reach; the RESIDES_IN edges, edges_dated), without a walk
// from each area: every household with a LOCATED_IN edge (h.homes, kept by set_home, counts them); the
// members with a CONTACTS or RESIDES_IN edge to a household with none, each pair once; and the members
// who both live in and contact a household, each pair once. Every edge counts, whatever its dates.
// returns: what ('located', 'unlocated' or 'both'), rows: [household id] for 'located', else [[member, household]]
MATCH (h:Household)
WHERE h.homes > 0
RETURN 'located' AS what, collect(h.id) AS rows
UNION ALL
MATCH (h:Household)
WHERE coalesce(h.homes, 0) = 0
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h)
RETURN 'unlocated' AS what, collect(DISTINCT [m.id, h.id]) AS rows
UNION ALL
MATCH (m:Member)-[:RESIDES_IN]->(h:Household)<-[:CONTACTS]-(m)
RETURN 'both' AS what, collect(DISTINCT [m.id, h.id]) AS rows
