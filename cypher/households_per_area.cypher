// Households counted by the one area they are located in (h.home, kept by set_home); the row with a null
// area counts those located nowhere or in several areas (located_several lists the latter).
// returns: area, households, people, vulnerable
MATCH (h:Household)
RETURN h.home AS area, count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
