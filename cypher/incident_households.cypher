// The households of an incident: located in any of the areas or in an area within them, or named.
// $areas: [area id]; $households: [household id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, covered, vulnerable, people
UNWIND $areas AS area_id
MATCH (:Area {id: area_id})<-[:WITHIN*0..]-(:Area)<-[:LOCATED_IN]-(h:Household)
RETURN DISTINCT h.id AS household
UNION
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
RETURN h.id AS household
