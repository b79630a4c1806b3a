import os

from training.venv import REPO, VENV_ENV, find_venv, training_env, training_threads


def test_the_environment_variable_wins_then_the_checkout_then_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(VENV_ENV, str(tmp_path / "mine"))
    assert find_venv(tmp_path / "data") == tmp_path / "mine"
    monkeypatch.delenv(VENV_ENV)
    expected = REPO / ".venv-axolotl" if (REPO / ".venv-axolotl").is_dir() else tmp_path / "data" / "axolotl-venv"
    assert find_venv(tmp_path / "data") == expected


def test_training_env_is_offline_with_the_venv_first_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = training_env(tmp_path / "venv", omp_threads=1)
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "venv" / "bin")  # axolotl calls `accelerate`
    assert (env["HF_HUB_OFFLINE"], env["AXOLOTL_DO_NOT_TRACK"], env["WANDB_MODE"], env["OMP_NUM_THREADS"]) == \
        ("1", "1", "disabled", "1")
    assert "PYTHONPATH" not in env
    assert "WANDB_MODE" not in training_env(tmp_path / "venv", wandb=True)


def test_training_threads_are_the_setting_or_the_idle_cores(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    for load, threads in ((0.2, 4), (1.4, 3), (2.6, 1), (9.0, 1)):
        monkeypatch.setattr("os.getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert training_threads(0) == threads
    assert training_threads(2) == 2  # an explicit setting wins, whatever the load
