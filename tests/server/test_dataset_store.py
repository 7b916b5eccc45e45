"""The DVC dataset store against real files, a real DVC repository and a local remote."""

import asyncio
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from dvc.repo import Repo

from server.datasets.parsing import CHUNK_BYTES, read_table, summarize
from server.datasets.store import DvcDatasetStore
from server.errors import InvalidArgument, NotFound, ResourceExhausted, Unavailable
from server.ports import ColumnInfo
from server.settings import Settings
from tests.s3_server import S3Server
from tests.server.dataset_fixtures import (
    chunked,
    failing_after,
    finish_dvc,
    md5_paths,
    start_dvc,
    store_settings,
    stored_files,
)

CSV = b"sepal,species,note\n5.1,setosa,\n4.9,setosa,x\n6.3,virginica,\n"
RECORDS = [{"x": 1, "label": "a"}, {"x": 2, "label": None}, {"x": 3, "label": "c"}]


@pytest.fixture(scope="module")
def dataset_store(tmp_path_factory: pytest.TempPathFactory) -> DvcDatasetStore:
    """One store for the module; tests use distinct dataset ids."""
    return DvcDatasetStore(store_settings(tmp_path_factory.mktemp("datasets")))


def settings_of(store: DvcDatasetStore) -> Settings:
    return store._settings


async def test_csv_upload_is_indexed_with_its_md5_and_schema(dataset_store: DvcDatasetStore):
    record = await dataset_store.upload("flowers", "csv", "first cut", chunked(CSV))

    assert (record.dataset_id, record.version, record.format) == ("flowers", 1, "csv")
    assert record.md5 == hashlib.md5(CSV).hexdigest()
    assert (record.size_bytes, record.row_count, record.description) == (len(CSV), 3, "first cut")
    assert record.columns == (
        ColumnInfo("sepal", "float64", 0),
        ColumnInfo("species", "str", 0),
        ColumnInfo("note", "str", 2),
    )
    assert dataset_store.local_path(record).read_bytes() == CSV
    assert dataset_store.get_version("flowers") == record


async def test_a_csv_of_many_chunks_gets_the_schema_of_a_whole_parse(
    dataset_store: DvcDatasetStore,
):
    rows = b"".join(b"%d,%d,True,x\n" % (i, i % 5) for i in range(700_000))
    data = b"n,m,flag,note\n" + rows + b"2.5,,,\n"  # types change in the last row only
    assert len(data) > 2 * CHUNK_BYTES

    record = await dataset_store.upload("many-chunks", "csv", "", chunked(data, 1024 * 1024))

    assert record.row_count == 700_001
    assert record.columns == (
        ColumnInfo("n", "float64", 0),
        ColumnInfo("m", "float64", 1),
        ColumnInfo("flag", "object", 1),
        ColumnInfo("note", "str", 1),
    )
    assert record.columns == summarize(read_table(dataset_store.local_path(record), "csv")).columns


@pytest.mark.parametrize(
    "payload",
    [
        RECORDS,
        {"x": [1, 2, 3], "label": ["a", None, "c"]},
        {"x": {"0": 1, "1": 2, "2": 3}, "label": {"0": "a", "1": None, "2": "c"}},
    ],
    ids=["records", "columns-lists", "columns-index"],
)
async def test_json_uploads_in_both_orientations(dataset_store: DvcDatasetStore, payload: object):
    data = json.dumps(payload).encode()
    record = await dataset_store.upload("letters", "json", "", chunked(data))

    assert record.md5 == hashlib.md5(data).hexdigest()
    assert record.row_count == 3
    assert record.columns == (ColumnInfo("x", "int64", 0), ColumnInfo("label", "str", 1))
    assert dataset_store.preview(record, 10) == (["x", "label"], [[1, "a"], [2, None], [3, "c"]])


async def test_every_upload_is_a_new_version_and_lists_page(dataset_store: DvcDatasetStore):
    for number in range(3):
        await dataset_store.upload("paged-b", "csv", f"v{number}", chunked(b"a\n%d\n" % number))
    await dataset_store.upload("paged-a", "csv", "", chunked(b"a\n1\n"))

    summary = dataset_store.get_dataset("paged-b")
    assert [v.version for v in summary.versions] == [1, 2, 3]
    assert dataset_store.get_version("paged-b").description == "v2"
    assert dataset_store.get_version("paged-b", 2).description == "v1"
    first = dataset_store.list_datasets(after="", limit=1)
    assert [s.dataset_id for s in first] == [
        min(s.dataset_id for s in dataset_store.list_datasets())
    ]
    after_a = dataset_store.list_datasets(after="paged-a", limit=1)
    assert [s.dataset_id for s in after_a] == ["paged-b"]
    assert len(after_a[0].versions) == 3


async def test_preview_gives_none_for_missing_values(dataset_store: DvcDatasetStore):
    record = await dataset_store.upload("holes", "csv", "", chunked(b"a,b,c\n1,,x\n,2.5,\n3,4,y\n"))

    columns, rows = dataset_store.preview(record, 2)
    assert columns == ["a", "b", "c"]
    assert rows == [[1.0, None, "x"], [None, 2.5, None]]


async def test_dvc_itself_sees_the_data(dataset_store: DvcDatasetStore, tmp_path: Path):
    record = await dataset_store.upload("seen-by-dvc", "csv", "", chunked(CSV))
    repo = settings_of(dataset_store).datasets_dir / "repo"
    clone = tmp_path / "clone"  # the pointers alone, with an empty cache: pull from the remote
    shutil.copytree(repo, clone, ignore=shutil.ignore_patterns("tmp"))
    (clone / ".dvc" / "config.local").write_text(
        f"[cache]\n    dir = {tmp_path / 'fresh-cache'}\n"
        f"[core]\n    site_cache_dir = {tmp_path / 'site'}\n"
    )
    pointer = f"seen-by-dvc/v{record.version}.csv.dvc"
    pull = start_dvc(clone, "pull", pointer)  # the command line, in its own process

    with Repo(str(repo)) as dvc_repo:  # cache and remote agree on every version
        assert dvc_repo.status(cloud=True) == {}
    finish_dvc(pull)
    assert (clone / pointer.removesuffix(".dvc")).read_bytes() == CSV


async def test_reads_fall_back_to_the_remote(dataset_store: DvcDatasetStore):
    data = b"k,v\nremote,1\n"
    record = await dataset_store.upload("from-remote", "csv", "", chunked(data))
    cached = dataset_store.local_path(record)
    cached.unlink()

    assert dataset_store.local_path(record).read_bytes() == data
    assert dataset_store.preview(record, 5) == (["k", "v"], [["remote", 1]])


async def test_missing_everywhere_is_unavailable(dataset_store: DvcDatasetStore):
    data = b"k,v\nlost,1\n"
    record = await dataset_store.upload("lost", "csv", "", chunked(data))
    remote = Path(settings_of(dataset_store).dvc_remote_url)
    dataset_store.local_path(record).unlink()
    (remote / "files" / "md5" / record.md5[:2] / record.md5[2:]).unlink()

    with pytest.raises(Unavailable):
        dataset_store.local_path(record)


async def test_delete_keeps_objects_until_the_last_reference(tmp_path: Path):
    store = DvcDatasetStore(store_settings(tmp_path))
    settings = settings_of(store)
    remote, cache = Path(settings.dvc_remote_url), settings.datasets_dir / "cache"
    shared = await store.upload("one", "csv", "", chunked(CSV))
    await store.upload("two", "csv", "", chunked(CSV))
    await store.upload("one", "csv", "", chunked(b"other\n1\n"))
    assert len(list(md5_paths(cache))) == len(list(md5_paths(remote))) == 2

    assert store.delete("one") == [1, 2]
    assert [p.name for p in md5_paths(remote)] == [shared.md5[2:]]
    assert store.local_path(store.get_version("two")).read_bytes() == CSV
    assert store.delete("two", 1) == [1]
    assert list(md5_paths(cache)) == list(md5_paths(remote)) == []
    assert store.counts() == (0, 0)
    with pytest.raises(NotFound):
        store.get_dataset("one")


async def test_version_numbers_are_never_reused(dataset_store: DvcDatasetStore):
    for _ in range(2):
        await dataset_store.upload("renumbered", "csv", "", chunked(b"a\n1\n"))
    dataset_store.delete("renumbered", 2)
    assert (await dataset_store.upload("renumbered", "csv", "", chunked(b"a\n2\n"))).version == 3
    dataset_store.delete("renumbered")
    assert (await dataset_store.upload("renumbered", "csv", "", chunked(b"a\n3\n"))).version == 4


def test_unknown_datasets_and_versions_are_not_found(dataset_store: DvcDatasetStore):
    with pytest.raises(NotFound):
        dataset_store.get_dataset("never-uploaded")
    with pytest.raises(NotFound):
        dataset_store.delete("never-uploaded")
    with pytest.raises(NotFound):
        dataset_store.get_version("flowers", 99)


BAD_CONTENT = {
    "empty": ("csv", b""),
    "blank": ("csv", b" \n\n"),
    "header-only": ("csv", b"a,b\n"),
    "ragged": ("csv", b"a,b\n1,2\n3,4,5\n"),
    "unclosed-quote": ("csv", b'a,b\n"1,2\n'),
    "duplicate-columns": ("csv", b"a,b,a\n1,2,3\n"),
    "empty-column-name": ("csv", b"a,,c\n1,2,3\n"),
    "not-utf8": ("csv", b"a,b\n\xff\xfe,1\n"),
    "malformed-json": ("json", b'{"a": [1, 2'),
    "json-scalar": ("json", b"42"),
    "json-no-rows": ("json", b"[]"),
    "json-not-records": ("json", b"[[1, 2]]"),
    "json-uneven-columns": ("json", b'{"a": [1, 2], "b": [1]}'),
    "json-nested": ("json", b'[{"a": {"b": 1}}]'),
    "json-empty-name": ("json", b'{"": [1]}'),
}


@pytest.mark.parametrize("case", BAD_CONTENT, ids=list(BAD_CONTENT))
async def test_bad_files_are_rejected_and_leave_nothing(dataset_store: DvcDatasetStore, case: str):
    fmt, data = BAD_CONTENT[case]
    before = stored_files(settings_of(dataset_store)), dataset_store.counts()

    with pytest.raises(InvalidArgument) as error:
        await dataset_store.upload("bad-file", fmt, "", chunked(data))
    assert error.value.violations[0].field == "chunk"
    assert (stored_files(settings_of(dataset_store)), dataset_store.counts()) == before


@pytest.mark.parametrize("dataset_id", ["../x", "A", "", "a" * 200, "x/y", "-x"])
async def test_bad_ids_are_rejected_and_leave_nothing(dataset_store: DvcDatasetStore, dataset_id):
    before = stored_files(settings_of(dataset_store))
    with pytest.raises(InvalidArgument) as error:
        await dataset_store.upload(dataset_id, "csv", "", chunked(CSV))
    assert error.value.violations[0].field == "dataset_id"
    with pytest.raises(InvalidArgument):
        await dataset_store.upload("fine", "xml", "", chunked(CSV))
    with pytest.raises(InvalidArgument):
        dataset_store.get_dataset(dataset_id)
    assert stored_files(settings_of(dataset_store)) == before


async def test_a_broken_stream_leaves_nothing(dataset_store: DvcDatasetStore):
    before = stored_files(settings_of(dataset_store)), dataset_store.counts()
    with pytest.raises(InvalidArgument, match="twice"):
        await dataset_store.upload(
            "broken", "csv", "", failing_after(CSV, InvalidArgument("twice"))
        )
    assert (stored_files(settings_of(dataset_store)), dataset_store.counts()) == before


async def test_too_large_uploads_are_refused_and_leave_nothing(tmp_path: Path):
    store = DvcDatasetStore(store_settings(tmp_path, max_upload_bytes=len(CSV) - 1))
    before = stored_files(settings_of(store))

    with pytest.raises(ResourceExhausted):
        await store.upload("big", "csv", "", chunked(CSV))
    assert stored_files(settings_of(store)) == before
    assert (await store.upload("small", "csv", "", chunked(b"a\n1\n"))).version == 1


async def test_a_failed_push_leaves_nothing(tmp_path: Path):
    store = DvcDatasetStore(store_settings(tmp_path))
    settings = settings_of(store)
    remote = Path(settings.dvc_remote_url)
    remote.rmdir()
    remote.write_text("not a directory")
    assert store.check_remote()[0] == "DOWN"
    before = stored_files(settings)

    with pytest.raises(Unavailable):
        await store.upload("unpushed", "csv", "", chunked(CSV))
    assert stored_files(settings) == before
    assert store.counts() == (0, 0)


async def test_concurrent_uploads_to_one_name_get_distinct_versions(dataset_store):
    contents = [b"n\n%d\n" % number for number in range(8)]
    records = await asyncio.gather(
        *(dataset_store.upload("crowded", "csv", "", chunked(data)) for data in contents)
    )

    assert sorted(r.version for r in records) == list(range(1, 9))
    stored = dataset_store.get_dataset("crowded").versions
    assert {(r.version, r.md5) for r in stored} == {(r.version, r.md5) for r in records}
    for record, data in zip(records, contents, strict=True):
        assert record.md5 == hashlib.md5(data).hexdigest()
        assert dataset_store.local_path(record).read_bytes() == data


async def test_a_restart_cleans_up_after_an_interrupted_upload(tmp_path: Path):
    settings = store_settings(tmp_path)
    store = DvcDatasetStore(settings)
    kept = await store.upload("kept", "csv", "", chunked(CSV))
    before = stored_files(settings)
    orphan = b"a\norphan\n"  # as if the process died after placing the file, before indexing
    md5 = hashlib.md5(orphan).hexdigest()
    store._repo.write_pointer(store._repo.pointer_path("ghost", 1, "csv"), md5, len(orphan))
    staged = settings.datasets_dir / "incoming" / "upload-ghost.part"
    staged.write_bytes(orphan)
    store._repo.place(staged, md5)

    restarted = DvcDatasetStore(settings)
    assert stored_files(settings) == before
    assert restarted.local_path(kept).read_bytes() == CSV


def test_health_and_counts(dataset_store: DvcDatasetStore):
    state, message = dataset_store.check()
    assert state == "OK" and "datasets" in message
    assert dataset_store.check_remote()[0] == "OK"
    datasets, versions = dataset_store.counts()
    assert versions >= datasets >= 1


async def test_an_s3_remote_stores_fetches_and_deletes(s3_server: S3Server, tmp_path: Path):
    prefix = "dataset-store-test"
    settings = store_settings(
        tmp_path,
        dvc_remote=f"s3://{s3_server.bucket}/{prefix}",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=s3_server.bucket,
    )
    store = DvcDatasetStore(settings)
    assert store.check_remote()[0] == "OK"
    record = await store.upload("on-s3", "csv", "", chunked(CSV))
    assert s3_server.keys(prefix) == [f"{prefix}/files/md5/{record.md5[:2]}/{record.md5[2:]}"]
    store.local_path(record).unlink()

    assert store.local_path(record).read_bytes() == CSV
    store.delete("on-s3")
    assert store.check() == ("OK", "0 datasets, 0 versions")  # nothing left to remove
    assert s3_server.keys(prefix) == []
    config = (settings.datasets_dir / "repo" / ".dvc" / "config").read_text()
    assert f"s3://{s3_server.bucket}/{prefix}" in config and s3_server.secret_key not in config
