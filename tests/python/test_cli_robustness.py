"""The CLI under hostile conditions: a full disk, unwritable and missing paths,
unreadable inputs, special files, interruption.

Every case must exit with status 2 (data/IO error; 1 for a refused usage),
print one clear line naming the problem, leave no output or temporary file
behind, and never modify an input file (bytes, mtime and mode compared).

Permission cases need a non-root user: when the tests run as root (who
ignores permissions) the command runs as 'nobody' instead, if possible.
The real full-disk case mounts a small tmpfs, so it runs only as root;
the RLIMIT_FSIZE case simulates a full disk everywhere.
"""
import os
import pwd
import random
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import MODEL, PROG, ROOT, needs_prog_and_model  # noqa: F401

pytestmark = needs_prog_and_model

TEXT = b"Robustness: bad input gets a clear error and loses nothing.\n"
IS_ROOT = os.geteuid() == 0


def lz(*args, data=b"", **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([PROG, MODEL, "-q", "--n-ctx", "64", *args], input=data, stderr=subprocess.PIPE,
                          timeout=120, **kw)


def one_line_error(p, status=2, *needles):
    err = p.stderr.decode(errors="replace")
    assert p.returncode == status, (p.returncode, err)
    assert err.startswith("llama-zip: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)
    print(f"  status {p.returncode}: {err.strip()}")
    return err


def snapshot(path):
    st = os.stat(path)
    return open(path, "rb").read(), st.st_mtime_ns, stat.S_IMODE(st.st_mode), st.st_ino


def listing(d):
    return sorted(os.listdir(d))


@pytest.fixture
def shared_dir():
    """A temporary directory another user ('nobody') can enter."""
    d = tempfile.mkdtemp(prefix="lz_robust_")
    os.chmod(d, 0o755)
    yield d
    for dirpath, dirnames, _ in os.walk(d):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
    shutil.rmtree(d)


def unprivileged():
    """Keyword arguments that make subprocess.run drop root, or None if it cannot."""
    if not IS_ROOT:
        return {}
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    return {"user": "nobody", "group": "nogroup" if _has_group("nogroup") else "nobody"}


def _has_group(name):
    import grp
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def need_unprivileged():
    kw = unprivileged()
    if kw is None:
        pytest.skip("running as root and there is no 'nobody' user")
    try:
        p = lz("-f", "base64", "-c", "x", **kw)
    except PermissionError as e:  # the checkout itself is out of that user's reach (e.g. under a 0700 dir)
        pytest.skip(f"the program is not reachable by an unprivileged user: {e}")
    if p.returncode != 0:
        pytest.skip(f"the model or program is not usable as an unprivileged user: {p.stderr!r}")
    return kw


# ---------------------------------------------------------------- full disk


@pytest.mark.parametrize("mode", ["compress", "compress-base64", "decompress"])
def test_stdout_on_full_disk(mode):
    """stdout is /dev/full: status 2, 'No space left on device'."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    args, data = {"compress": (["-c"], TEXT), "compress-base64": (["-f", "base64", "-c"], TEXT),
                  "decompress": (["-d"], lz("-c", data=TEXT).stdout)}[mode]
    with open("/dev/full", "wb") as full:
        p = lz(*args, data=data, stdout=full)
    one_line_error(p, 2, "No space left on device")


def test_stdout_closed():
    p = lz("-c", data=TEXT, stdout=None, preexec_fn=lambda: os.close(1))
    one_line_error(p, 2, "Bad file descriptor")


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


def test_output_file_too_large(tmp_path):
    """A write that fails half way (RLIMIT_FSIZE, like a full disk): nothing left behind."""
    data = random.Random(5).randbytes(8192)  # incompressible: an 8 KiB archive
    out = tmp_path / "out.llz"
    p = lz("-c", "-o", str(out), data=data, preexec_fn=_limit_file_size)
    one_line_error(p, 2, "File too large", str(out))
    assert listing(tmp_path) == []
    with open(tmp_path / "stdout.llz", "wb") as f:
        p = lz("-c", data=data, stdout=f, preexec_fn=_limit_file_size)
    one_line_error(p, 2, "File too large")


def test_output_on_full_filesystem(tmp_path):
    """A real full disk: -o into a 16 KiB tmpfs."""
    if not IS_ROOT:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)],
                      stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (mnt / "keep.txt").write_bytes(b"already here\n")
        data = random.Random(6).randbytes(40000)
        out = mnt / "out.llz"
        p = lz("-c", "-o", str(out), data=data)
        one_line_error(p, 2, "No space left on device", str(out))
        assert listing(mnt) == ["keep.txt"]
        assert (mnt / "keep.txt").read_bytes() == b"already here\n"
        # a small archive still fits
        p = lz("-c", "-o", str(out), data=TEXT)
        assert p.returncode == 0, p.stderr
        assert lz("-d", data=out.read_bytes()).stdout == TEXT
    finally:
        subprocess.run(["umount", str(mnt)])


# ---------------------------------------------------------------- unwritable and missing output paths


def test_output_in_missing_directory(tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "out.llz"
    p = lz("-c", "-o", str(out), data=TEXT)
    one_line_error(p, 2, "No such file or directory", str(out))
    assert listing(tmp_path) == []


def test_output_in_readonly_directory(shared_dir):
    kw = need_unprivileged()
    ro = os.path.join(shared_dir, "readonly")
    os.mkdir(ro, 0o555)
    os.chmod(ro, 0o555)
    out = os.path.join(ro, "out.llz")
    p = lz("-c", "-o", out, data=TEXT, **kw)
    one_line_error(p, 2, "Permission denied", out)
    assert listing(ro) == []


def test_output_is_a_directory(tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    (d / "inside").write_bytes(b"x")
    p = lz("-c", "-o", str(d), data=TEXT)
    one_line_error(p, 1, "already exists")
    p = lz("-c", "-o", str(d), "--force", data=TEXT)
    one_line_error(p, 2, "is a directory")
    assert listing(tmp_path) == ["dir"] and listing(d) == ["inside"]


def test_output_special_file_is_not_replaced(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that a writer would not block
    try:
        p = lz("-c", "-o", str(fifo), "--force", data=TEXT)
        print(f"  status {p.returncode}: {p.stderr.decode().strip()}")
        assert p.returncode == 0
    finally:
        os.close(fd)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert listing(tmp_path) == ["fifo"]


# ---------------------------------------------------------------- unreadable and missing inputs


def test_missing_input_files(tmp_path):
    missing = tmp_path / "missing.txt"
    p = lz("--files", "-c", str(missing))
    one_line_error(p, 2, "No such file or directory", str(missing))
    p = lz("--files", "-d", str(missing) + ".llz")
    one_line_error(p, 2, "No such file or directory")
    assert listing(tmp_path) == []
    # one bad file among good ones: the good one is done, the status is still 2
    good = tmp_path / "good.txt"
    good.write_bytes(TEXT)
    p = lz("--files", "-c", str(missing), str(good))
    assert p.returncode == 2 and str(missing) in p.stderr.decode(), p.stderr
    assert listing(tmp_path) == ["good.txt", "good.txt.llz"]
    assert lz("-d", data=(tmp_path / "good.txt.llz").read_bytes()).stdout == TEXT


def test_directory_as_input(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    p = lz("--files", "-c", str(d))
    one_line_error(p, 2, "Is a directory", str(d))
    assert listing(tmp_path) == ["d"] and listing(d) == []


def test_input_read_error(tmp_path):
    """/proc/self/mem opens but every read fails (EIO)."""
    out = tmp_path / "out.llz"
    p = lz("--files", "-c", "/proc/self/mem", "-o", str(out))
    one_line_error(p, 2, "/proc/self/mem")
    assert listing(tmp_path) == []


def test_unreadable_input(shared_dir):
    kw = need_unprivileged()
    secret = os.path.join(shared_dir, "secret.txt")
    with open(secret, "wb") as f:
        f.write(TEXT)
    os.chmod(secret, 0o000)
    before = snapshot(secret)
    os.chmod(shared_dir, 0o777)  # the output directory is writable: only the read must fail
    try:
        p = lz("--files", "-c", secret, **kw)
        one_line_error(p, 2, "Permission denied", secret)
        p = lz("--files", "-d", secret, "-o", os.path.join(shared_dir, "x"), **kw)
        one_line_error(p, 2, "Permission denied", secret)
    finally:
        os.chmod(shared_dir, 0o755)
    assert listing(shared_dir) == ["secret.txt"]
    assert snapshot(secret) == before


# ---------------------------------------------------------------- inputs are never modified


def test_inputs_never_modified(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    os.utime(src, ns=(1_000_000_000, 1_000_000_000))  # an old mtime: any rewrite would show
    before = snapshot(src)
    lz("--files", "-c", str(src))
    assert snapshot(src) == before
    arc = tmp_path / "a.txt.llz"
    arc_before = snapshot(arc)

    # decompressing next to the original: refused, both untouched
    p = lz("--files", "-d", str(arc))
    one_line_error(p, 1, "already exists")
    # the output is the input itself, through its name, a hard link, a symbolic link
    os.link(src, tmp_path / "hard")
    os.symlink(src, tmp_path / "soft")
    for target in (src, tmp_path / "hard", tmp_path / "soft"):
        p = lz("--files", "-c", str(src), "-o", str(target), "--force")
        one_line_error(p, 1, "input file")
    os.symlink(arc, tmp_path / "arc-link")
    for target in (arc, tmp_path / "arc-link"):
        p = lz("--files", "-d", str(arc), "-o", str(target), "--force")
        one_line_error(p, 1, "input file")
    # a damaged archive: no output, the archive untouched
    bad = tmp_path / "bad.llz"
    bad.write_bytes(arc.read_bytes()[:-3])
    bad_before = snapshot(bad)
    p = lz("--files", "-d", str(bad))
    one_line_error(p, 2, "truncated")
    assert snapshot(bad) == bad_before
    assert not (tmp_path / "bad").exists()
    # and a successful --force decompression replaces the output, never the archive
    out = tmp_path / "out.txt"
    out.write_bytes(b"old contents")
    p = lz("--files", "-d", str(arc), "-o", str(out), "--force")
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == TEXT
    assert snapshot(src) == before and snapshot(arc) == arc_before
    assert not [f for f in listing(tmp_path) if ".llz-" in f or ".tmp-" in f]
    print("  input and archive unchanged (bytes, mtime, mode, inode) through 7 refused or failed runs")


# ---------------------------------------------------------------- interruption


def test_interrupt_leaves_nothing(tmp_path):
    """Ctrl+C while compressing into a file: status 130 within a second, no output, no temporary file."""
    words = b"alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi ".split()
    rng = random.Random(8)
    data = b" ".join(rng.choice(words) for _ in range(6000))  # a long job: tens of seconds
    src = tmp_path / "long.txt"
    src.write_bytes(data)
    before = snapshot(src)
    out = tmp_path / "long.llz"
    proc = subprocess.Popen([PROG, MODEL, "-q", "--n-ctx", "64", "--files", "-c", str(src), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("llama-zip did not stop within 60 s of SIGINT")
    waited = time.monotonic() - t0
    err = err.decode(errors="replace")
    print(f"  status {proc.returncode} after {waited:.2f} s: {err.strip()}")
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert waited < 1.0
    assert listing(tmp_path) == ["long.txt"]
    assert snapshot(src) == before
