// The members who contact or live in a household located in any of some areas: for each, how many such
// households it has a CONTACTS or RESIDES_IN edge to, and how many households in all (each once). Every
// edge counts, whatever its dates.
// $areas: [area id]
// returns: member, within, households
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[:LOCATED_IN]-(h:Household)<-[:CONTACTS|RESIDES_IN]-(m:Member)
WITH DISTINCT m, h
WITH m, count(h) AS within
MATCH (m)-[:CONTACTS|RESIDES_IN]->(x:Household)
RETURN m.id AS member, within, count(DISTINCT x) AS households
