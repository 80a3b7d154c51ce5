// Households located in more than one area.
// returns: household
MATCH (h:Household)-[:LOCATED_IN]->(:Area)
WITH h, count(*) AS areas
WHERE areas > 1
RETURN h.id AS household
