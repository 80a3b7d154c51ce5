// Households counted by the one area they are located in on every day (h.home, kept by set_home: one
// undated LOCATED_IN edge); the row with a null area counts the rest, located nowhere or through dated or
// several edges (located_several lists the latter; the caller places them on each day).
// returns: area, households, people, vulnerable
MATCH (h:Household)
RETURN h.home AS area, count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
