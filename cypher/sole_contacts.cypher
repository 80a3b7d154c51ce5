// The households located on the day in any of some areas that have exactly one live contact, each with its
// home (h.home, kept by set_home; null when it has dated or several LOCATED_IN edges, which the caller
// keeps a revision) and that contact. The households there with no live contact the caller knows already
// (uncontacted, contacts_astray). Followed in one pattern from the areas, which the server walks in bulk.
// $areas: [area id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, home, contact
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[r:LOCATED_IN]-(h:Household)<-[c:CONTACTS]-(m:Member)
WHERE {valid:r} AND {valid:c} AND {available:m}
WITH h, collect(DISTINCT m.id) AS contacts
WHERE size(contacts) = 1
RETURN h.id AS household, h.home AS home, contacts[0] AS contact
