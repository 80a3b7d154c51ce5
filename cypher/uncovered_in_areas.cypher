// The households located on the day (a LOCATED_IN edge valid on it) in any of some areas (each named:
// nothing below them is included) with no live contact on the day, as one list.
// $areas: [area id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: households [household id]
UNWIND $areas AS area_id
MATCH (:Area {id: area_id})<-[l:LOCATED_IN]-(h:Household)
WHERE {valid:l}
WITH DISTINCT h
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c} AND {available:m}
WITH h, count(m) AS contacts
WHERE contacts = 0
RETURN collect(h.id) AS households
