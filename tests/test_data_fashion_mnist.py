"""Tests of the idx format, the Fashion-MNIST loaders and the fetch (pruning_lab.data.idx, .fashion_mnist, .fetch).

Everything but the last test runs on small fake data sets written in the official
format, with the pinned checksums replaced by those of the fake files; the fetch
is tested with fake sources (no network, no apt).  The last test reads the real
files where they are installed (``make data``) and checks them against the pins.
"""

import gzip
import hashlib
import io
import os
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from pruning_lab.data import (
    FASHION_MNIST_ENV,
    FASHION_MNIST_LABELS,
    FetchError,
    default_fashion_mnist_dir,
    fetch_fashion_mnist,
    find_fashion_mnist,
    load_fashion_mnist,
    load_fashion_mnist32,
    read_fashion_mnist,
    read_idx,
    write_idx,
)
from pruning_lab.data import fashion_mnist as fm
from pruning_lab.data import fetch as fetch_module

NAMES = list(fm.PINS)


# -- the idx format -----------------------------------------------------------------------


def test_write_idx_writes_the_documented_header(tmp_path):
    path = write_idx(tmp_path / "a", np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8))
    # magic 00 00 08 02, then the sizes 2 and 3 as big-endian uint32, then the elements in C order
    assert path.read_bytes() == bytes.fromhex("000008020000000200000003010203040506")


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7,), (5, 28, 28), (2, 3, 4, 5)])
def test_idx_round_trip(tmp_path, suffix, shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    path = write_idx(tmp_path / f"x-idx{len(shape)}-ubyte{suffix}", array)
    got = read_idx(path)
    assert got.dtype == np.uint8 and got.shape == shape and got.flags.writeable
    np.testing.assert_array_equal(got, array)
    if suffix:  # a real gzip stream, reproducible byte for byte
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        first = path.read_bytes()
        write_idx(path, array)
        assert path.read_bytes() == first
    else:
        assert path.stat().st_size == 4 + 4 * len(shape) + array.size
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize(
    "content, message",
    [
        (bytes.fromhex("00000803000000020000001c0000001c") + b"\x00" * 100, "truncated"),
        (bytes.fromhex("08030000"), "bad magic number"),
        (bytes.fromhex("1f8b0800"), "bad magic number"),
        (bytes.fromhex("00000d01") + bytes.fromhex("00000001") + b"\x00" * 4, "element type 0x0d"),
        (bytes.fromhex("00000800"), "0 dimensions"),
        (bytes.fromhex("000008"), "too short"),
        (bytes.fromhex("00000803") + bytes.fromhex("00000002"), "truncated header"),
        (bytes.fromhex("00000801") + bytes.fromhex("00000005") + b"\x01\x02\x03", "truncated"),
        (bytes.fromhex("00000801") + bytes.fromhex("00000002") + b"\x01\x02\x03", "trailing bytes"),
    ],
)
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, content, message):
    path = tmp_path / "bad-idx-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as err:
        read_idx(path)
    assert "bad-idx-ubyte" in str(err.value)


def test_read_idx_gz_errors(tmp_path):
    good = gzip.compress(bytes.fromhex("00000801") + bytes.fromhex("00000003") + b"\x01\x02\x03")
    (tmp_path / "cut.gz").write_bytes(good[:-6])  # the gzip trailer is cut off
    with pytest.raises(ValueError, match="cut.gz: not a complete gzip file"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "plain.gz").write_bytes(gzip.decompress(good))  # not compressed at all
    with pytest.raises(ValueError, match="plain.gz: not a complete gzip file"):
        read_idx(tmp_path / "plain.gz")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")
    np.testing.assert_array_equal(read_idx(_write(tmp_path / "ok.gz", good)), [1, 2, 3])


def _write(path, content):
    path.write_bytes(content)
    return path


def test_write_idx_rejects_bad_arrays(tmp_path):
    with pytest.raises(ValueError, match="array must be uint8"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="array must have 1 to 8 dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))
    with pytest.raises(TypeError, match="path must be a path"):
        write_idx(3, np.zeros(3, dtype=np.uint8))
    assert not (tmp_path / "a").exists()


# -- a fake data set in the official format ----------------------------------------------


def _fake_arrays(n_per_class=(3, 2), seed=0):
    """Small Fashion-MNIST-like arrays: {file name: uint8 array}, balanced classes."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in zip(("train", "t10k"), n_per_class):
        labels = rng.permutation(np.repeat(np.arange(10), n)).astype(np.uint8)
        out[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, size=(labels.size, 28, 28), dtype=np.uint8)
        out[f"{split}-labels-idx1-ubyte"] = labels
    return out


def _pin_to(monkeypatch, arrays):
    """Replace the official pins by those of ``arrays`` (as write_idx writes them)."""
    for name, array in arrays.items():
        data = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
        data += array.tobytes()
        per_class = None if array.ndim == 3 else int(np.bincount(array, minlength=10)[0])
        pin = fm.Pin(len(data), hashlib.sha256(data).hexdigest(), array.shape, per_class)
        monkeypatch.setitem(fm.PINS, name, pin)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A directory with the four fake files (train images .gz, the others plain), pinned."""
    arrays = _fake_arrays()
    directory = tmp_path / "fashion"
    for name, array in arrays.items():
        write_idx(directory / (name + (".gz" if name.startswith("train-images") else "")), array)
    _pin_to(monkeypatch, arrays)
    monkeypatch.delenv(FASHION_MNIST_ENV, raising=False)
    return directory, arrays


def test_read_returns_the_files_arrays(fake):
    directory, arrays = fake
    X_train, y_train, X_test, y_test = read_fashion_mnist(directory)
    np.testing.assert_array_equal(X_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(X_test, arrays["t10k-images-idx3-ubyte"])
    assert y_train.dtype == np.int64 and list(y_train) == list(arrays["train-labels-idx1-ubyte"])
    X_train[:] = 0  # a copy: the next call is unaffected
    np.testing.assert_array_equal(read_fashion_mnist(directory)[0], arrays["train-images-idx3-ubyte"])


def test_checksum_mismatch_is_detected(fake):
    directory, arrays = fake
    labels = arrays["t10k-labels-idx1-ubyte"].copy()
    labels[[0, 1]] = labels[[1, 0]] if labels[0] != labels[1] else (labels[0] + 1) % 10
    write_idx(directory / "t10k-labels-idx1-ubyte", labels)  # same size, a valid idx file, other content
    with pytest.raises(ValueError, match="checksum mismatch for t10k-labels-idx1-ubyte.*SHA-256"):
        load_fashion_mnist(directory)
    assert list(read_fashion_mnist(directory, verify_checksums=False)[3]) == list(labels)
    write_idx(directory / "t10k-labels-idx1-ubyte", labels[:-1])
    with pytest.raises(
        ValueError,
        match="checksum mismatch for t10k-labels-idx1-ubyte in .*: 27 bytes decompressed, the official file has 28",
    ):
        load_fashion_mnist(directory)


def test_checksum_is_of_the_decompressed_content(fake):
    directory, arrays = fake
    path = directory / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))  # another compression, same bytes
    np.testing.assert_array_equal(read_fashion_mnist(directory)[0], arrays["train-images-idx3-ubyte"])


def test_label_balance_is_pinned(fake, monkeypatch):
    directory, _ = fake
    monkeypatch.setitem(fm.PINS, "train-labels-idx1-ubyte", fm.PINS["train-labels-idx1-ubyte"]._replace(per_class=4))
    with pytest.raises(ValueError, match="expected 4 images of each class, got \\[3, 3"):
        read_fashion_mnist(directory)


@pytest.mark.parametrize(
    "name, array, message",
    [
        ("t10k-images-idx3-ubyte", np.zeros((20, 27, 28), np.uint8), "expected an array of shape \\('N', 28, 28\\)"),
        ("t10k-labels-idx1-ubyte", np.zeros((20, 1), np.uint8), "expected an array of shape \\('N',\\)"),
        ("t10k-labels-idx1-ubyte", np.zeros(19, np.uint8), "20 images but 19 labels"),
        ("t10k-labels-idx1-ubyte", np.full(20, 10, np.uint8), "labels must lie in 0..9"),
    ],
)
def test_malformed_data_sets_are_rejected_without_checksums_too(fake, name, array, message):
    directory, _ = fake
    write_idx(directory / name, array)
    with pytest.raises(ValueError, match=message):
        read_fashion_mnist(directory, verify_checksums=False)


def test_verify_checksums_must_be_a_bool(fake):
    with pytest.raises(TypeError, match="verify_checksums"):
        read_fashion_mnist(fake[0], verify_checksums="no")


def test_arrays_are_cached_until_the_files_change(fake, monkeypatch):
    directory, _ = fake
    first = load_fashion_mnist(directory)

    def no_reading(path):
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(fm, "read_idx_bytes", no_reading)
    np.testing.assert_array_equal(load_fashion_mnist(directory).X_test, first.X_test)  # from the cache
    stat = (directory / "t10k-labels-idx1-ubyte").stat()
    os.utime(directory / "t10k-labels-idx1-ubyte", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="read again"):
        load_fashion_mnist(directory)


# -- where the files are looked for --------------------------------------------------------


def test_default_directory_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_fashion_mnist_dir() == tmp_path / "cache" / "pruning_lab" / "fashion-mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # not absolute: ignored, as the specification says
    assert default_fashion_mnist_dir() == Path.home() / ".cache" / "pruning_lab" / "fashion-mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_fashion_mnist_dir() == Path.home() / ".cache" / "pruning_lab" / "fashion-mnist"


def test_lookup_order_root_then_environment_then_cache_then_system(fake, tmp_path, monkeypatch):
    directory, _ = fake
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fm, "SYSTEM_DIRS", (tmp_path / "system",))
    assert find_fashion_mnist() is None
    with pytest.raises(FileNotFoundError, match="python -m pruning_lab fetch fashion-mnist") as err:
        load_fashion_mnist()
    assert str(tmp_path / "cache" / "pruning_lab" / "fashion-mnist") in str(err.value)

    directory.rename(tmp_path / "system")  # an installed Debian package
    assert find_fashion_mnist() == tmp_path / "system"
    (tmp_path / "cache" / "pruning_lab").mkdir(parents=True)
    (tmp_path / "system").rename(tmp_path / "cache" / "pruning_lab" / "fashion-mnist")
    assert find_fashion_mnist() == default_fashion_mnist_dir()
    assert load_fashion_mnist().X_train.shape == (30, 784)

    monkeypatch.setenv(FASHION_MNIST_ENV, str(tmp_path / "elsewhere"))  # named explicitly: no fallback
    assert find_fashion_mnist() is None
    with pytest.raises(FileNotFoundError, match=r"not found at .*elsewhere.* \(no such directory\)"):
        load_fashion_mnist()
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(FileNotFoundError, match=f"not found in .*elsewhere.*{FASHION_MNIST_ENV}"):
        load_fashion_mnist()
    monkeypatch.setenv(FASHION_MNIST_ENV, str(default_fashion_mnist_dir()))
    assert find_fashion_mnist() == default_fashion_mnist_dir()
    assert find_fashion_mnist(tmp_path / "elsewhere") is None  # root wins over the environment
    with pytest.raises(TypeError, match="root must be a path"):
        find_fashion_mnist(3)


def test_a_missing_file_means_not_found(fake):
    directory, _ = fake
    assert find_fashion_mnist(directory) == directory
    (directory / "t10k-labels-idx1-ubyte").unlink()
    assert find_fashion_mnist(directory) is None
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        read_fashion_mnist(directory)


# -- the loaders -------------------------------------------------------------------------


def test_load_flattens_scales_and_standardizes_with_training_statistics(fake):
    directory, arrays = fake
    plain = load_fashion_mnist(directory, standardize=False)
    assert plain.X_train.shape == (30, 784) and plain.X_test.shape == (20, 784) and plain.name == "Fashion-MNIST"
    assert plain.X_train.dtype == np.float32 and plain.y_train.dtype == np.int64 and plain.n_classes == 10
    np.testing.assert_array_equal(plain.X_train, arrays["train-images-idx3-ubyte"].reshape(30, 784) / np.float32(255))
    std = load_fashion_mnist(directory)
    train = arrays["train-images-idx3-ubyte"].reshape(30, 784) / 255.0
    mean, sd = train.mean(), train.std()
    np.testing.assert_allclose(std.X_train, (train - mean) / sd, atol=1e-5)
    np.testing.assert_allclose(
        std.X_test, (arrays["t10k-images-idx3-ubyte"].reshape(20, 784) / 255.0 - mean) / sd, atol=1e-5
    )
    assert std.X_train.dtype == std.X_test.dtype == np.float32
    assert len(FASHION_MNIST_LABELS) == 10 and FASHION_MNIST_LABELS[9] == "Ankle boot"


def test_load32_pads_repeats_and_standardizes_per_channel(fake):
    directory, arrays = fake
    ds = load_fashion_mnist32(directory)
    assert ds.X_train.shape == (30, 3, 32, 32) and ds.X_test.shape == (20, 3, 32, 32)
    assert ds.X_train.dtype == np.float32 and "3x32x32" in ds.name
    np.testing.assert_array_equal(ds.X_train[:, 0], ds.X_train[:, 2])
    padded = np.pad(arrays["train-images-idx3-ubyte"] / 255.0, ((0, 0), (2, 2), (2, 2)))
    mean, sd = padded.mean(), padded.std()
    np.testing.assert_allclose(ds.X_train[:, 1], (padded - mean) / sd, atol=1e-5)
    np.testing.assert_allclose(
        ds.X_test[:, 1, 2:30, 2:30], (arrays["t10k-images-idx3-ubyte"] / 255.0 - mean) / sd, atol=1e-5
    )
    np.testing.assert_allclose(ds.X_test[:, :, :2], -mean / sd, atol=1e-6)  # the zero border
    np.testing.assert_array_equal(ds.y_test, arrays["t10k-labels-idx1-ubyte"])


# -- the fetch ---------------------------------------------------------------------------


@pytest.fixture
def sources(tmp_path, monkeypatch):
    """Fake arrays pinned, an unreachable upstream, and a fake apt-get/dpkg-deb; yields the commands run."""
    arrays = _fake_arrays(seed=1)
    _pin_to(monkeypatch, arrays)
    monkeypatch.delenv(FASHION_MNIST_ENV, raising=False)

    def unreachable(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    commands = []

    def fake_run(command, cwd, timeout):
        commands.append(command)
        if command[:2] == ["apt-get", "download"]:
            (cwd / "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb").write_bytes(b"!<arch>\n")
        else:
            assert command[:2] == ["dpkg-deb", "-x"] and (cwd / command[2]).is_file()
            for name, array in arrays.items():
                write_idx(cwd / command[3] / "usr/share/datasets/fashion-mnist" / f"{name}.gz", array)

    monkeypatch.setattr(fetch_module.urllib.request, "urlopen", unreachable)
    monkeypatch.setattr(fetch_module, "run", fake_run)
    return arrays, commands


def test_fetch_falls_back_to_debian_and_verifies(sources, tmp_path):
    arrays, commands = sources
    lines = []
    dest = fetch_fashion_mnist(tmp_path / "cache" / "fm", log=lines.append)
    assert dest == tmp_path / "cache" / "fm"
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES)  # plain files, no staging directory left
    assert commands == [
        ["apt-get", "download", "dataset-fashion-mnist"],
        ["dpkg-deb", "-x", "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb", "extracted"],
    ]
    assert any("upstream failed" in line and "Name or service not known" in line for line in lines)
    for name, array in arrays.items():
        np.testing.assert_array_equal(read_idx(dest / name), array)
    assert load_fashion_mnist(dest).X_test.shape == (20, 784)


def test_fetch_does_nothing_when_a_verified_copy_is_there(sources, tmp_path, monkeypatch):
    dest = fetch_fashion_mnist(tmp_path / "fm")
    before = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}

    def never(work, timeout):
        raise AssertionError("a source was asked although the files are there")

    monkeypatch.setitem(fetch_module.SOURCES, "upstream", never)
    monkeypatch.setitem(fetch_module.SOURCES, "debian", never)
    lines = []
    assert fetch_fashion_mnist(tmp_path / "fm", log=lines.append) == dest
    assert lines == [f"Fashion-MNIST: the verified files are already in {dest}"]
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == before


def test_fetch_replaces_a_corrupted_copy(sources, tmp_path):
    dest = tmp_path / "fm"
    dest.mkdir()
    (dest / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    fetch_fashion_mnist(dest)
    np.testing.assert_array_equal(read_idx(dest / "t10k-labels-idx1-ubyte"), sources[0]["t10k-labels-idx1-ubyte"])


def test_fetch_from_upstream(sources, tmp_path, monkeypatch):
    arrays, commands = sources
    urls = []

    def serve(url, timeout):
        urls.append(url)
        name = url.rsplit("/", 1)[1].removesuffix(".gz")
        return io.BytesIO(gzip.compress(write_idx(tmp_path / "src" / name, arrays[name]).read_bytes()))

    monkeypatch.setattr(fetch_module.urllib.request, "urlopen", serve)
    dest = fetch_fashion_mnist(tmp_path / "fm", sources=("upstream",))
    assert urls == [f"{fetch_module.UPSTREAM_URL}{name}.gz" for name in NAMES] and commands == []
    np.testing.assert_array_equal(read_idx(dest / "train-images-idx3-ubyte"), arrays["train-images-idx3-ubyte"])


def test_a_source_with_wrong_content_fails_and_leaves_nothing(sources, tmp_path, monkeypatch):
    arrays, _ = sources
    monkeypatch.setitem(fm.PINS, "t10k-labels-idx1-ubyte", fm.PINS["t10k-labels-idx1-ubyte"]._replace(sha256="0" * 64))
    with pytest.raises(FetchError) as err:
        fetch_fashion_mnist(tmp_path / "new" / "fm")
    message = str(err.value)
    assert (
        "\n" not in message
        and "upstream: " in message
        and "debian: t10k-labels-idx1-ubyte is not the official" in message
    )
    assert not (tmp_path / "new" / "fm").exists()  # created by the call, removed again
    (tmp_path / "mine").mkdir()
    with pytest.raises(FetchError):
        fetch_fashion_mnist(tmp_path / "mine")
    assert list((tmp_path / "mine").iterdir()) == []  # a directory that was there stays, empty


def test_an_interrupted_fetch_leaves_nothing(sources, tmp_path, monkeypatch):
    opened = []
    real_open = fetch_module.gzip.open

    def interrupted(path, mode):
        opened.append(path)
        if len(opened) == 3:  # two files already decompressed into the staging directory
            raise KeyboardInterrupt
        return real_open(path, mode)

    monkeypatch.setattr(fetch_module.gzip, "open", interrupted)
    (tmp_path / "fm").mkdir()
    with pytest.raises(KeyboardInterrupt):
        fetch_fashion_mnist(tmp_path / "fm")
    assert len(opened) == 3 and list((tmp_path / "fm").iterdir()) == []


def test_fetch_errors_are_one_line_per_source(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module.urllib.request, "urlopen", _raise(urllib.error.URLError("timed out")))
    monkeypatch.setattr(
        fetch_module, "run", _raise(RuntimeError("apt-get is not installed (not a Debian-based system?)"))
    )
    with pytest.raises(FetchError, match="upstream: .*timed out; debian: apt-get is not installed") as err:
        fetch_fashion_mnist(tmp_path / "fm")
    assert "\n" not in str(err.value) and str(tmp_path / "fm") in str(err.value)
    monkeypatch.setattr(
        fetch_module, "run", _raise(RuntimeError("'apt-get download x' failed: E: Unable to locate package x"))
    )
    with pytest.raises(FetchError, match="run 'apt-get update' as root"):
        fetch_fashion_mnist(tmp_path / "fm", sources=("debian",))


def _raise(error):
    def raiser(*args, **kwargs):
        raise error

    return raiser


def test_run_reports_the_last_line_of_a_failing_command(tmp_path):
    script = "import sys; sys.stderr.write('W: a warning\\nE: the reason\\n'); sys.exit(3)"
    with pytest.raises(RuntimeError, match="failed: E: the reason$"):
        fetch_module.run([sys.executable, "-c", script], tmp_path, 60)
    with pytest.raises(RuntimeError, match="no-such-command-here is not installed"):
        fetch_module.run(["no-such-command-here"], tmp_path, 60)
    with pytest.raises(RuntimeError, match="did not finish within 0.5 s"):
        fetch_module.run([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, 0.5)
    fetch_module.run([sys.executable, "-c", "pass"], tmp_path, 60)  # success: no error


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sources": ("ftp",)}, ValueError, "sources must be"),
        ({"sources": ()}, ValueError, "sources must be"),
        ({"timeout": 0}, ValueError, "timeout must be"),
        ({"timeout": True}, ValueError, "timeout must be"),
        ({"dest": 3}, TypeError, "dest must be a path"),
    ],
)
def test_fetch_rejects_bad_arguments(tmp_path, kwargs, error, message):
    kwargs = {"dest": tmp_path / "fm", **kwargs}
    with pytest.raises(error, match=message):
        fetch_fashion_mnist(**kwargs)
    assert not (tmp_path / "fm").exists()


# -- the real data -----------------------------------------------------------------------


def test_the_real_files_match_the_pins():
    directory = find_fashion_mnist()
    if directory is None:
        pytest.skip("the Fashion-MNIST files are not installed (make data)")
    for name, pin in fm.PINS.items():  # hashed here directly, independently of the loader
        path = fm.data_file(directory, name)
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (pin.size, pin.sha256), name
    assert [p.size for p in fm.PINS.values()] == [47_040_016, 60_008, 7_840_016, 10_008]
    X_train, y_train, X_test, y_test = read_fashion_mnist()
    assert X_train.shape == (60_000, 28, 28) and X_test.shape == (10_000, 28, 28)
    assert X_train.dtype == X_test.dtype == np.uint8 and y_train.dtype == y_test.dtype == np.int64
    assert np.bincount(y_train).tolist() == [6_000] * 10 and np.bincount(y_test).tolist() == [1_000] * 10
    ds = load_fashion_mnist(standardize=False)
    assert ds.X_train.shape == (60_000, 784) and ds.X_train.dtype == np.float32
    assert float(ds.X_train.min()) == 0.0 and float(ds.X_train.max()) == 1.0
