"""uptrain on a converted model: two steps change the weights and lower the
training loss, the same seed writes byte-identical files (another seed does
not), and the result loads in the engine at tp 1 and 2 with G preserved.
Usage: uptrain_test.py GROUPSHARD CONVERTED_DIR WORK_DIR KV_GROUPS"""
import json
import pathlib
import subprocess
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts/paper"))
import hf_io  # noqa: E402
from tokenizer import Tokenizer, encode_stories  # noqa: E402
from uptrain import uptrain  # noqa: E402

SHARED = ROOT.parent / "shared"
GROUPSHARD, CONVERTED, WORK, KV_GROUPS = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), \
    int(sys.argv[4])
# alpha such that round(alpha * 1042) = 2 steps, on small batches so the test is quick.
TWO_STEPS = 2 / 1042
STREAM = encode_stories(SHARED / "data/tinystories-train.txt", Tokenizer(SHARED / "models/tok512/tokenizer.bin"))


def train(name, seed):
    out = WORK / name
    record = uptrain(CONVERTED, out, TWO_STEPS, STREAM, batch=2, seq_len=64, seed=seed, threads=1)
    return out, record


class UptrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out, cls.record = train("seed7", 7)

    def test_two_steps_change_weights_and_lower_the_loss(self):
        self.assertEqual(self.record["steps"], 2)
        _, before = hf_io.read_model(CONVERTED)
        _, after = hf_io.read_model(self.out)
        self.assertEqual(sorted(before), sorted(after))
        changed = [name for name in before if not before[name].equal(after[name])]
        self.assertEqual(sorted(changed), sorted(before), "every tensor should have moved")
        self.assertLess(self.record["final_loss"], self.record["initial_loss"])

    def test_same_seed_same_bytes(self):
        again, _ = train("seed7-again", 7)
        other, _ = train("seed8", 8)
        for name in ("config.json", "model.safetensors"):
            mine = (self.out / name).read_bytes()
            self.assertEqual(mine, (again / name).read_bytes(), name)
        self.assertNotEqual((self.out / "model.safetensors").read_bytes(),
                            (other / "model.safetensors").read_bytes())

    def test_engine_loads_it_at_tp_1_and_2_with_g_preserved(self):
        for tp in (1, 2):
            done = subprocess.run(
                [str(ROOT / "scripts/mpirun.sh"), "-np", str(tp), GROUPSHARD, "eval", "--model", str(self.out),
                 "--text", str(SHARED / "data/tinystories-valid-30k.txt"), "--max-tokens", "128", "--json"],
                capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            self.assertEqual((result["tp"], result["kv_groups"], result["tokens"]), (tp, KV_GROUPS, 128))
            self.assertLess(result["perplexity"], 512)  # better than uniform over the vocabulary


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
