"""Reading and writing tables: formats, errors, atomic writes."""

import gzip

import numpy as np
import pytest

from aekit.io import atomic_path, read_table, write_table
from aekit.io.tables import id_note


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".csv.gz", ".TSV.BZ2", ".csv.zst",
                                    ".parquet", ".npy", ".npz"])
def test_round_trip(tmp_path, suffix):
    X = np.random.RandomState(0).rand(5, 3)
    path = tmp_path / f"data{suffix}"
    write_table(path, X, ["a", "b", "c"])
    back, columns = read_table(path)
    np.testing.assert_allclose(back, X, rtol=1e-12)
    assert columns == (None if suffix in (".npy", ".npz") else ["a", "b", "c"])


def test_compressed_and_tab_separated_files_are_what_their_names_say(tmp_path):
    write_table(tmp_path / "t.tsv.gz", np.eye(2), ["a", "b"])
    with gzip.open(tmp_path / "t.tsv.gz", "rt") as text:
        assert text.readline().strip() == '"a"\t"b"'
    path = tmp_path / "names.tsv"  # tabs split a .tsv file, whatever its header holds
    path.write_text("cost, in EUR\tcount\n1.5\t2\n")
    assert read_table(path).columns == ["cost, in EUR", "count"]


def test_csv_with_integers_and_booleans(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("n,flag,x\n1,true,0.5\n2,false,1.5\n")
    X, columns = read_table(path)
    np.testing.assert_array_equal(X, [[1, 1, 0.5], [2, 0, 1.5]])
    assert columns == ["n", "flag", "x"]


def test_non_numeric_column_is_named(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("age,name\n30,ann\n41,bob\n")
    with pytest.raises(ValueError, match="column 'name' of .* is not numeric"):
        read_table(path)


def test_empty_cells_become_nan(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,\n2,3\n")
    X, _ = read_table(path)
    assert np.isnan(X[0, 1])


@pytest.mark.parametrize("name, content, message", [
    ("data.txt", "1 2", "unsupported file type '.txt'.*also as .gz"),
    ("data.csv.gz", "a,b\n1,2\n", "cannot read .*data.csv.gz"),  # not compressed as named
    ("ragged.csv", "a,b\n1,2,3\n", "cannot read"),
    ("bad.npy", "not numpy", "cannot read .* it is not a NumPy file"),
    ("bad.parquet", "not parquet", "cannot read"),
    ("header.csv", "", "cannot read|no columns"),
    ("twice.csv", "a,b,a\n1,2,3\n", "2 columns named 'a'"),
    ("commas.csv", "a;b\n1,5;2\n3,25;4\n", r"'a'.*decimal commas .* decimal=',' \(--decimal ,\)"),
    ("thousands.csv", 'a,b\n"1,065",2\n"12,500,000",4\n',
     r"thousands separators \('1,065'\): write them without \(1065\)$"),
    ("either.csv", 'a,b\n"1,065",2\n735,4\n',
     (r"without thousands separators \(1065\), or, if the comma is a decimal mark "
      r"\(1.065\), read them with decimal=','")),
    ("marks.csv", "a,b,c\n1,x,2\n?,y,3\n4,z,5\n",
     (r"columns 'a' \(row 1 holds '\?'\), 'b' \(row 0 holds 'x'\) of "
     r".*--drop a,b.*; if '\?' mark missing cells, name them with na_values=\['\?'\] "
     r"\(--na-values '\?'\)")),
    ("two_marks.csv", "a,b\n1,2\n?,3\n4,-\n5,6\n",  # every mark at once (a trial: one by one)
     r"if '\?', '-' mark missing cells, .*\(--na-values '\?,-'\)"),
    ("ids.csv", "cust,a\n100000000000000003,1\n,2\n", r"'cust'.*beyond 2\*\*53"),  # a gap too
])
def test_unreadable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_table(path)


def test_a_csv_dialect_reads_separators_decimal_commas_and_marks_of_missing_cells(tmp_path):
    """A trial: European files (semicolons, decimal commas), '?' for a gap and a header whose
    name holds a comma could not be read without rewriting them."""
    from aekit.io.dialect import csv_dialect

    (tmp_path / "eu.csv").write_text("a;b\n1,5;?\n-2,25;4\n")
    table = read_table(tmp_path / "eu.csv", decimal=",", na_values=["?"])
    np.testing.assert_array_equal(table.X, [[1.5, np.nan], [-2.25, 4.0]])
    with csv_dialect(decimal=",", na_values=["?"]):  # for every read within, as the CLI does
        np.testing.assert_array_equal(read_table(tmp_path / "eu.csv").X, table.X)
    with pytest.raises(ValueError, match="decimal commas"):
        read_table(tmp_path / "eu.csv")  # outside, the defaults again
    (tmp_path / "named.csv").write_text("Temp, C;Pressure\n1.5;2.0\n2.5;3.0\n")
    assert read_table(tmp_path / "named.csv", sep=";").columns == ["Temp, C", "Pressure"]
    (tmp_path / "bare.csv").write_text("1,5;2\n3;4\n")  # a first row of numbers: data
    assert read_table(tmp_path / "bare.csv", decimal=",").X.tolist() == [[1.5, 2], [3, 4]]
    (tmp_path / "points.csv").write_text("a,b\n1.5,2\n3,4.25\n")  # a trial's slips:
    (tmp_path / "thousands.csv").write_text("a;b\n1.200;2,5\n1.500;4\n")  # German thousands
    with pytest.raises(ValueError, match=r"'a' .* with points \('1.200'\): if they separate "
                                         r"thousands, write them without \(1200\)"):
        read_table(tmp_path / "thousands.csv", decimal=",")
    (tmp_path / "spaces.csv").write_text("a,b\n1, \n2,3\n4,5\n")  # no option names ' '
    with pytest.raises(ValueError, match="cells of spaces alone are not missing cells"):
        read_table(tmp_path / "spaces.csv")
    for given in ({}, {"sep": ","}):
        with pytest.raises(ValueError, match=r"decimal points \('1.5'\), but decimal=',' "):
            read_table(tmp_path / "points.csv", decimal=",", **given)
    with pytest.raises(ValueError, match=r"reads as one column \('a,b'\) split on ';': .* "
                                         r"separated by ',': give sep=',' \(--sep ','\)"):
        read_table(tmp_path / "points.csv", sep=";")
    (tmp_path / "one.tsv").write_text("Temperature, C\n1.5\n2.5\n")  # a comma in a name
    assert read_table(tmp_path / "one.tsv").columns == ["Temperature, C"]
    (tmp_path / "one.csv").write_text("value\n1,5\n2,25\n")  # one column of decimal commas
    assert read_table(tmp_path / "one.csv", decimal=",").X.ravel().tolist() == [1.5, 2.25]
    (tmp_path / "pipes.csv").write_text("a|b\n1.5|2\n3|4.25\n")  # guessed, as ; and tab are
    assert read_table(tmp_path / "pipes.csv").columns == ["a", "b"]
    (tmp_path / "named.csv").write_text("temp, C|press|hum\n1|2|3\n")  # names do not decide
    assert read_table(tmp_path / "named.csv").columns == ["temp, C", "press", "hum"]
    (tmp_path / "one_row.csv").write_text("1;2.5\n")  # no second row to compare: its ;
    assert read_table(tmp_path / "one_row.csv").X.tolist() == [[1.0, 2.5]]
    (tmp_path / "ratio.csv").write_text("Na;K;Ca ratio,temp\n1.0,4.0\n2.0,5.0\n")  # a review
    assert read_table(tmp_path / "ratio.csv").columns == ["Na;K;Ca ratio", "temp"]
    (tmp_path / "sentinel.csv").write_text("a,b\n-999.0,1\n2,-999\n3,4\n")  # as pandas matches
    assert np.isnan(read_table(tmp_path / "sentinel.csv", na_values=["-999"]).X).sum() == 2
    (tmp_path / "codes.csv").write_text("x,country\n1,NA\n2,DE\n,FR\n")  # Namibia: NA
    for default_na, code in ((True, None), (False, "NA")):
        read = read_table(tmp_path / "codes.csv", text=True, default_na=default_na)
        assert read.text["country"][0].as_py() == code and np.isnan(read.X[2, 0])
    (tmp_path / "gap_first.csv").write_text("1.5,NA,3\n4,5,6\n")  # a gap in a row of numbers
    assert read_table(tmp_path / "gap_first.csv").X.shape == (2, 3)  # data, not a header
    (tmp_path / "quoted.csv").write_text('a,b\n"1,5","2"\n"3","4,25"\n')  # commas quoted
    assert read_table(tmp_path / "quoted.csv", decimal=",").X.tolist() == [[1.5, 2], [3, 4.25]]
    for wrong, message in (({"sep": "x"}, "sep must be one of"),
                           ({"decimal": ";"}, "decimal must be")):
        with pytest.raises(ValueError, match=message):
            read_table(tmp_path / "eu.csv", **wrong)


def test_npz_with_several_arrays(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(path, a=np.ones(2), b=np.zeros(2))
    with pytest.raises(ValueError, match="store one array, or one named 'X'"):
        read_table(path)
    np.savez(path, X=np.ones((2, 2)), y=np.zeros(2))
    assert read_table(path)[0].shape == (2, 2)


def test_pickled_npy_is_refused(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="holds Python objects, which aekit does not load") as err:
        read_table(path)
    assert "allow_pickle" not in str(err.value)  # NumPy's remedy: not one aekit offers
    np.savez(tmp_path / "objects.npz", X=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="holds Python objects in 'X'"):
        read_table(tmp_path / "objects.npz")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_table(tmp_path / "nope.csv")


def test_atomic_path_leaves_old_file_on_error(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_table(tmp_path / "no" / "x.csv", np.ones((1, 1)))


@pytest.mark.parametrize("text", ["a;b;c\n1;2;3\n4;5;6\n", "a\tb\tc\n1\t2\t3\n4\t5\t6\n"])
def test_semicolon_and_tab_separated_csv(tmp_path, text):
    (tmp_path / "t.csv").write_text(text)
    X, names = read_table(tmp_path / "t.csv")
    assert names == ["a", "b", "c"] and X.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_a_headerless_first_row_with_a_missing_cell_is_data(tmp_path):
    (tmp_path / "t.csv").write_text(",2.5,3\n1,2,3\n")
    table = read_table(tmp_path / "t.csv")
    assert table.columns is None and len(table.X) == 2 and np.isnan(table.X[0, 0])


def test_a_first_row_whose_text_recurs_below_is_data_and_names_stay_names(tmp_path):
    """A trial: a headerless file of numbers and categories lost its first row to the names;
    a second: a header of quantiles beside an id column was then read as data."""
    for rows in ("fuel,US,28.72\nfood,FR,3.5\nfuel,FR,30.1\nfood,US,4\n",
                 "Lyon,3,6\nNice,4,5\nLyon,2,2\nNice,1,1\n"):  # the text recurs below: data
        (tmp_path / "t.csv").write_text(rows)
        table = read_table(tmp_path / "t.csv", text=True)
        assert len(table.X) == 4 and table.order == ["x0", "x1", "x2"]
        assert "values found again in the rows below" in table.notes[0]
    for header in ("2019,2020,city", "400.5,401.5,class", "name,0.1,0.9"):  # names
        (tmp_path / "named.csv").write_text(f"{header}\n1.5,2.5,u\n1.5,2.5,v\n1.5,2.5,u\n")
        assert read_table(tmp_path / "named.csv", text=True).order == header.split(",")
    (tmp_path / "ids.csv").write_text("name,0.1,0.9\nr1,1,2\nr2,3,4\nr3,5,6\n")
    table = read_table(tmp_path / "ids.csv", text=True)  # an id column says nothing: names
    assert table.order == ["name", "0.1", "0.9"] and len(table.X) == 3
    assert "0.1, 0.9 look like numbers: header=False / --no-header" in table.notes[0]


def test_an_unnamed_first_column_is_the_rows_index(tmp_path):
    """``DataFrame.to_csv`` writes the index as an unnamed first column: not a feature."""
    (tmp_path / "t.csv").write_text(",a,b\n10,1,2\n11,3,4\n")
    table = read_table(tmp_path / "t.csv")
    assert table.columns == ["a", "b"] and table.X.tolist() == [[1, 2], [3, 4]]
    assert table.index.tolist() == [10, 11] and "no name" in table.notes[0]
    assert read_table(tmp_path / "t.csv", columns=["a"]).columns == ["a"]


def test_integers_float64_would_round_are_refused_by_name(tmp_path):
    (tmp_path / "t.csv").write_text("cust,a\n100000000000000003,1.5\n100000000000000010,2\n")
    with pytest.raises(ValueError, match=r"'cust'.*beyond 2\*\*53.*--time cust"):
        read_table(tmp_path / "t.csv")
    table = read_table(tmp_path / "t.csv", index="cust")  # carried as the index, exactly
    assert table.index.tolist() == [100000000000000003, 100000000000000010]


def test_writing_through_a_symbolic_link_keeps_the_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_table(link, np.ones((2, 2)), ["a", "b"])
    assert link.is_symlink() and read_table(target).X.tolist() == [[1, 1], [1, 1]]


def test_header_said_outright_overrides_the_guess(tmp_path):
    (tmp_path / "years.csv").write_text("2019,2020\n1.5,2.5\n3,4\n")
    guessed = read_table(tmp_path / "years.csv")
    assert guessed.columns is None and len(guessed.X) == 3 and guessed.notes
    named = read_table(tmp_path / "years.csv", header=True)
    assert named.columns == ["2019", "2020"] and len(named.X) == 2 and not named.notes
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not numeric"):  # the names read as data
        read_table(tmp_path / "t.csv", header=False)


def test_names_that_are_numbers_are_a_header_for_a_model_trained_on_them(tmp_path, capsys):
    """A trial: years as column names were read as a row of data: 101 scores for 100 rows."""
    import pandas as pd

    from aekit import Autoencoder
    from aekit.cli import main

    frame = pd.DataFrame(np.random.RandomState(0).normal(size=(40, 3)),
                         columns=["2021", "2022", "2023"])
    frame.to_csv(tmp_path / "years.csv", index=False)
    frame.to_csv(tmp_path / "indexed.csv")  # header ",2021,2022,2023" above the index
    model = tmp_path / "m.safetensors"
    Autoencoder(latent_dim=1, epochs=1, random_state=0).fit(frame).save(model)
    for name in ("years.csv", "indexed.csv"):
        assert main(["score", str(model), str(tmp_path / name), "-o",
                     str(tmp_path / "s.csv")]) == 0
        out, err = capsys.readouterr()
        assert "wrote 40 scores" in out  # the model's names: a header, and said so
        assert "the first row holds the model's column names, so it is read as the header" in err
    assert len(read_table(tmp_path / "years.csv").X) == 41  # alone, numbers are still data
    frame[["2022", "2021", "2023"]].to_csv(tmp_path / "other.csv", index=False)
    assert main(["score", str(model), str(tmp_path / "other.csv"), "-o",
                 str(tmp_path / "s.csv")]) == 0  # in another order: a header, read by name
    out, err = capsys.readouterr()
    assert "wrote 40 scores" in out and "columns reordered by name" in err
    default = tmp_path / "m0.safetensors"  # pandas' default names 0, 1, 2: in order only
    Autoencoder(latent_dim=1, epochs=1, random_state=0).fit(
        pd.DataFrame(frame.to_numpy())).save(default)
    (tmp_path / "codes.csv").write_text("2,0,1\n1,2,3\n")  # a row of them shuffled: data
    assert main(["score", str(default), str(tmp_path / "codes.csv"), "-o",
                 str(tmp_path / "s.csv")]) == 0
    assert "wrote 2 scores" in capsys.readouterr().out
    (tmp_path / "bare.csv").write_text("2021,2022,7\n1,2,3\n")  # not every name: data
    assert main(["score", str(model), str(tmp_path / "bare.csv"), "-o",
                 str(tmp_path / "s.csv")]) == 0
    assert "wrote 2 scores" in capsys.readouterr().out


def test_a_pandas_frame_written_with_its_index_reads_back_as_written(tmp_path):
    import pandas as pd

    X = np.arange(12.0).reshape(4, 3)
    pd.DataFrame(X).to_csv(tmp_path / "t.csv")  # header ",0,1,2": integer names, index first
    table = read_table(tmp_path / "t.csv")
    assert table.columns == ["0", "1", "2"] and table.X.tolist() == X.tolist()
    assert table.index.tolist() == [0, 1, 2, 3]
    pd.DataFrame(X).to_csv(tmp_path / "bare.csv", index=False)  # header "0,1,2" alone
    table = read_table(tmp_path / "bare.csv")
    assert table.columns == ["0", "1", "2"] and table.X.tolist() == X.tolist()
    assert "read as column names (as pandas writes" in table.notes[0]  # 0,1,2 may be data:
    assert read_table(tmp_path / "bare.csv", header=False).X.shape == (5, 3)  # said so, kept
    (tmp_path / "data.csv").write_text("0,1,3\n2,4,6\n")  # not 0, 1, 2, ...: data
    assert read_table(tmp_path / "data.csv").X.shape == (2, 3)
    (tmp_path / "one.csv").write_text("0\n2\n")  # one column: a first value of 0 is data
    assert read_table(tmp_path / "one.csv").X.tolist() == [[0], [2]]


def test_a_column_like_a_row_id_read_as_a_feature_gets_a_note(tmp_path):
    rng = np.random.RandomState(0)
    values = rng.normal(size=(30, 2)).round(3)
    rows = "\n".join(f"{100 + 3 * i},{a},{b}" for i, (a, b) in enumerate(values))
    (tmp_path / "counter.csv").write_text("n,a,b\n" + rows + "\n")  # whole numbers, rising
    found = read_table(tmp_path / "counter.csv").id_like
    assert [name for name, _ in found] == ["n"] and "rises or falls at every row" in found[0][1]
    text = id_note("counter.csv", *found[0])
    assert "column 'n' rises or falls at every row, like an id" in text and "--drop n" in text
    # a saved model trained with it cannot do without it: the note says to fit again
    assert "trained with it as a feature: if it is one, fit again without it" in id_note(
        "counter.csv", *found[0], trained=True)
    falling = "\n".join(reversed(rows.split("\n")))  # the same rows in reverse order
    (tmp_path / "reversed.csv").write_text("n,a,b\n" + falling + "\n")
    assert [name for name, _ in read_table(tmp_path / "reversed.csv").id_like] == ["n"]
    assert not read_table(tmp_path / "counter.csv", drop=["n"]).id_like
    assert not read_table(tmp_path / "counter.csv", index="n").id_like  # --time n: not a feature
    (tmp_path / "named.csv").write_text("customer_id,a\n7,0.5\n3,0.1\n")
    assert "named like an id" in read_table(tmp_path / "named.csv").id_like[0][1]
    shuffled = "\n".join(f"{i},{a}" for i, a in zip(rng.permutation(30), values[:, 0]))
    (tmp_path / "count.csv").write_text("k,a\n" + shuffled + "\n")  # a count, not in order
    assert not read_table(tmp_path / "count.csv").id_like


def test_the_index_pandas_stores_in_parquet_is_not_a_feature(tmp_path):
    import pandas as pd

    from aekit.io import open_source

    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    frame.sample(frac=1.0, random_state=0).to_parquet(tmp_path / "shuffled.parquet")
    table = read_table(tmp_path / "shuffled.parquet")  # stored as __index_level_0__
    assert table.columns == ["a", "b", "c"] and table.index_name == "__index_level_0__"
    assert "the index pandas stored in the file" in table.notes[0]
    assert open_source(tmp_path / "shuffled.parquet").columns == ["a", "b", "c"]
    frame.set_index(pd.Index(["w", "x", "y", "z"], name="id")).to_parquet(tmp_path / "id.pq")
    named = read_table(tmp_path / "id.pq", index="a")  # an index asked for: the stored one dropped
    assert named.columns == ["b", "c"] and named.index.tolist() == [0.0, 3.0, 6.0, 9.0]
    assert open_source(tmp_path / "id.pq").columns == ["a", "b", "c"]
    frame.to_parquet(tmp_path / "plain.parquet")  # 0..n-1: kept as metadata, no column
    plain = read_table(tmp_path / "plain.parquet")
    assert plain.columns == ["a", "b", "c"] and plain.index is None
    # any other range, as a slice keeps it, is the rows' index (a trial: lost in the results)
    frame.iloc[1:].to_parquet(tmp_path / "slice.parquet")
    sliced = read_table(tmp_path / "slice.parquet")
    assert sliced.index.tolist() == [1, 2, 3] and sliced.index_name is None
    assert "its index, a range from 1 that pandas kept, is kept as the rows' index" in \
        sliced.notes[0]
    frame.rename_axis("rid").iloc[::2].to_parquet(tmp_path / "named.parquet")  # a step of 2
    named_range = read_table(tmp_path / "named.parquet")
    assert named_range.index.tolist() == [0, 2] and named_range.index_name == "rid"
    assert named_range.columns == ["a", "b", "c"]
    # after reset_index, the column 'index' is the rows' index: a range beside it is not
    frame.reset_index().iloc[1:].to_parquet(tmp_path / "reset.parquet")
    reset = read_table(tmp_path / "reset.parquet")
    assert reset.index is None and reset.columns == ["index", "a", "b", "c"]


def test_an_unnamed_index_column_stays_out_of_the_features_beside_a_time_column(tmp_path):
    (tmp_path / "t.csv").write_text(",id,a\n0,5,1.5\n1,6,2\n")
    table = read_table(tmp_path / "t.csv", index="id")
    assert table.columns == ["a"] and table.index.tolist() == [5, 6]
    assert "left out of the features and of the results (only 'id' is written" in table.notes[0]


def test_a_series_file_is_read_by_the_same_csv_rules(tmp_path):
    from aekit.io.tables import read_named_csv

    (tmp_path / "s.csv").write_text("time;value\n1;0.5\n2;0.7\n")
    assert read_named_csv(tmp_path / "s.csv").column_names == ["time", "value"]
    (tmp_path / "d.csv").write_text("v,v\n1,2\n")
    with pytest.raises(ValueError, match="2 columns named 'v'"):
        read_named_csv(tmp_path / "d.csv")


def test_a_headerless_file_of_whole_numbers_with_a_gap_first_stays_data(tmp_path):
    (tmp_path / "gap.csv").write_text(",5,7,9\n1,2,3,4\n5,6,7,8\n")
    table = read_table(tmp_path / "gap.csv")
    assert table.columns is None and table.X.shape == (3, 4) and np.isnan(table.X[0, 0])


@pytest.mark.parametrize("content", ["région,a\n1,1\n", "a,name,b\n1,café,2\n"])
def test_a_file_in_a_local_encoding_is_named_with_its_fix(tmp_path, content):
    path = tmp_path / "latin.csv"  # the header not UTF-8, or a cell of the body
    path.write_bytes(content.encode("cp1252"))
    for text in (False, True):
        with pytest.raises(ValueError, match="latin.csv is not UTF-8 text.*iconv -f cp1252 -t "
                                             "utf-8 latin.csv > latin-utf8.csv"):
            read_table(path, text=text)


def test_an_empty_unnamed_column_at_the_end_of_each_line_is_left_out(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("a,b,\n1,2,\n3,4,\n")
    table = read_table(path)
    assert table.columns == ["a", "b"] and table.X.shape == (2, 2)
    assert "without a name or a value" in table.notes[0]
    path.write_text("1,2,\n3,4,\n")  # no header row: the empty last column all the same
    np.testing.assert_array_equal(read_table(path).X, [[1, 2], [3, 4]])


def test_a_column_of_values_without_a_name_is_named_as_pandas_names_it(tmp_path):
    """A trial: it became a feature named '' that a file pandas wrote back did not match."""
    import pandas as pd

    path = tmp_path / "blank.csv"
    path.write_text("a,,c\n1,2,3\n4,5,6\n")
    table = read_table(path)
    assert table.columns == list(pd.read_csv(path).columns) == ["a", "Unnamed: 1", "c"]
    assert "column(s) 1 (from 0) have no name in the header" in table.notes[0]
    path.write_text("a,,,c\n1,,5,3\n2,,6,4\n")  # an empty column before it: by file place
    assert read_table(path).columns == ["a", "Unnamed: 2", "c"]
    assert list(pd.read_csv(path).columns) == ["a", "Unnamed: 1", "Unnamed: 2", "c"]


def test_names_that_differ_only_in_spaces_are_pointed_out():
    from aekit.io import align_columns

    with pytest.raises(ValueError, match="differ only in spaces"):
        align_columns([" a", "b "], ["a", "b"])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_an_index_with_a_time_zone_is_written_back_at_the_same_instants(tmp_path, suffix):
    """NumPy's datetime64 has no time zone: an index read into it was written back as UTC
    clock times without a zone, an hour off these Paris times."""
    import pandas as pd

    times = pd.date_range("2023-01-01", periods=4, freq="h", tz="Europe/Paris")
    times = times + pd.to_timedelta([0, 1, 2, 3], unit="ns")  # nanoseconds kept too
    source = tmp_path / "in.parquet"
    pd.DataFrame({"when": times, "a": np.arange(4.0)}).to_parquet(source)
    table = read_table(source, index="when")
    write_table(tmp_path / f"out{suffix}", table.X, ["a"], index=table.index,
                index_name="when")
    if suffix == ".parquet":
        back = pd.Series(pd.read_parquet(tmp_path / "out.parquet").index)  # pandas' index
        assert str(back.dt.tz) == "Europe/Paris"
        assert back.dt.nanosecond.tolist() == [0, 1, 2, 3]
    else:  # written with their offset
        back = pd.to_datetime(pd.read_csv(tmp_path / "out.csv")["when"])
        assert back.dt.tz is not None
    assert (back == times).all()


def test_a_csvs_dates_and_times_keep_the_files_text(tmp_path):
    """Arrow parses them (2024-01-01T00:00+02:00 becomes 2023-12-31 22:00:00Z in UTC); what a
    command writes back is the file's own text, and the table says which columns they are."""
    path = tmp_path / "t.csv"
    path.write_text("when,day,a\n2024-01-01T00:00:00+02:00,2024-01-01,1.5\n"
                    "2024-01-01T01:00:00+02:00,,2.5\n")
    table = read_table(path, index="when", text=True)
    assert list(table.index) == ["2024-01-01T00:00:00+02:00", "2024-01-01T01:00:00+02:00"]
    assert table.text["day"].to_pylist() == ["2024-01-01", None]
    assert sorted(table.time_columns) == ["day", "when"]
    np.testing.assert_array_equal(table.X[:, 0], [1.5, 2.5])
    headerless = tmp_path / "h.csv"
    headerless.write_text("1.5,2024-01-01\n2.5,2024-01-02\n")
    table = read_table(headerless, index="x1", header=False)
    assert table.time_columns == ["x1"] and list(table.index) == ["2024-01-01", "2024-01-02"]
