"""Detection: rules a defender writes over the hypervisor's trace and the network capture.

The defender's side of the course. A rule file (TOML, in the manner of Sigma and Falco)
says which hypercalls, trace events or frames are suspicious; the engine runs the rules
over what a hypervisor does and says which rule fired on what.

    rules = parse_rules(text, path="mine.toml")   # lab.detect.rules: the format, checked
    sensor = Sensor(hv, rules)                     # lab.detect.sensor: live, on a hypervisor
    sensor.pull()
    for seq, found in sensor.detections():
        print(found.rule, found.vm, found.output)

Modules, bottom up: fields (what a rule can look at, one table), match (selections and
conditions), rules (the file format), engine (the detector, counting over windows),
sensor (a tap on a live hypervisor). Scoring a rule set against the course's attacks
and its legitimate traffic replays lessons, so it lives a layer up, in lab.lesson.corpus.
"""

from lab.detect.engine import Detection, Detector
from lab.detect.fields import FIELDS, Source
from lab.detect.rules import KEYS, Rule, RuleError, RuleSet, parse_rules, read_rules
from lab.detect.sensor import Sensor, Tap

__all__ = [
    "FIELDS",
    "KEYS",
    "Detection",
    "Detector",
    "Rule",
    "RuleError",
    "RuleSet",
    "Sensor",
    "Source",
    "Tap",
    "parse_rules",
    "read_rules",
]
