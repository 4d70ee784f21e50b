import sys, time
from coursetools.samples.corpus import corpora
from coursetools.grading.scoring import sweep
c = next(c for c in corpora() if c.ASSIGNMENT.startswith(sys.argv[1]))
t = time.time()
variants = [(g, n, code) for g, v in c.WRONG.items() for n, code in v.items()]
for r in sweep(c.ASSIGNMENT, variants):
    own = f"test_{r.grade_id}"
    lost = {k: (s.score, s.max_score) for k, s in r.scores.items() if s.score < s.max_score}
    if set(lost) != {own} or 0 < r.scores[own].score:
        print(r.grade_id, r.name, lost)
        for k in set(lost) - {own}:
            print("   ", k, r.scores[k].error[:400], r.printed[k][-400:])
print("seconds", time.time() - t, len(variants))
