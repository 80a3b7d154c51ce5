// The households located on the day in any of some areas that have one live contact or none: each with
// every area it is located in on the day and that contact (the caller keeps those located only in areas
// it asked about, and finds who alone answers for them: Facts.sole_answerers).
// $areas: [area id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, areas [area id], contacts [member id] (none or one)
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[r:LOCATED_IN]-(h:Household)
WHERE {valid:r}
WITH DISTINCT h
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c} AND {available:m}
WITH h, collect(DISTINCT m.id) AS contacts
WHERE size(contacts) <= 1
MATCH (h)-[l:LOCATED_IN]->(b:Area)
WHERE {valid:l}
RETURN h.id AS household, collect(DISTINCT b.id) AS areas, contacts
