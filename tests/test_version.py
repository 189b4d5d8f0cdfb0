"""One version, set once in the root pom.xml, flows into the jar, the Debian package, the collection's
galaxy.yml and CHANGELOG.md. scripts/check-version.sh (run by scripts/package.sh before it builds
anything) must pass on this tree, and must fail naming the place when a copy disagrees."""
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "check-version.sh"
FILES = ["pom.xml", "java-agent/pom.xml", "collection/galaxy.yml", "CHANGELOG.md"]
NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def pom_version():
    return ET.parse(ROOT / "pom.xml").getroot().find("m:version", NS).text


def check(root):
    return subprocess.run(["bash", str(SCRIPT), "--root", str(root)], capture_output=True, text=True)


def copy_of_tree(tmp_path):
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_every_copy_states_the_pom_version():
    result = check(ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pom_version()


@pytest.mark.parametrize("rel, old, new", [
    ("collection/galaxy.yml", "version: {v}", "version: 99.0.0"),
    ("CHANGELOG.md", "## {v}", "## 99.0.0"),
    ("java-agent/pom.xml", "<version>{v}</version>", "<version>99.0.0</version>"),
])
def test_a_copy_that_disagrees_fails_naming_it(tmp_path, rel, old, new):
    root = copy_of_tree(tmp_path)
    text = (root / rel).read_text()
    old = old.format(v=pom_version())
    assert old in text
    (root / rel).write_text(text.replace(old, new, 1))
    result = check(root)
    assert result.returncode == 1
    assert rel in result.stderr and "'99.0.0'" in result.stderr and pom_version() in result.stderr


def test_a_pom_bump_alone_names_every_copy_left_behind(tmp_path):
    root = copy_of_tree(tmp_path)
    pom = root / "pom.xml"
    pom.write_text(pom.read_text().replace("<version>%s</version>" % pom_version(), "<version>99.0.0</version>", 1))
    result = check(root)
    assert result.returncode == 1
    for rel in ["java-agent/pom.xml", "collection/galaxy.yml", "CHANGELOG.md"]:
        assert rel in result.stderr
