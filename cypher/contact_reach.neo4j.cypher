// For each member with a CONTACTS edge, whatever its dates: how many households it contacts, and how many
// of those another member contacts too (each household once), as rows the caller adds up by member. The
// caller keeps them a revision and finds the load of a day from them and the households whose contacts
// are not all live (contacts_astray). Neo4j pairs the edges from the pattern itself.
// returns: member, households, shared (several rows a member: the caller adds them up)
MATCH (m:Member)-[:CONTACTS]->(h:Household)
WITH DISTINCT m, h
RETURN m.id AS member, count(h) AS households, 0 AS shared
UNION ALL
MATCH (m:Member)-[:CONTACTS]->(h:Household)<-[:CONTACTS]-(o:Member)
WHERE o <> m
WITH DISTINCT m, h
RETURN m.id AS member, 0 AS households, count(h) AS shared
