"""Training profiles: how long a CPU run trains, from its dataset."""

from training.profiles import PROFILES, Schedule


def test_a_schedule_is_one_pass_cut_at_the_token_budget_with_a_floor():
    schedule = Schedule(min_steps=20, max_tokens=80_000)
    assert schedule.steps(examples=300, tokens_per_example=60, batch=2) == 150  # short chats: the whole pass
    assert schedule.steps(examples=400, tokens_per_example=400, batch=2) == 100  # long prompts: the token budget
    assert schedule.steps(examples=30, tokens_per_example=60, batch=2) == 20  # a small dataset: the floor
    assert schedule.steps(examples=5, tokens_per_example=0, batch=2) == 20


def test_cpu_profiles_evaluate_a_sample_and_gpu_profiles_keep_their_templates_schedule():
    default = PROFILES["gemma3-270m-cpu"]
    assert default.schedule == Schedule(min_steps=20, max_tokens=80_000) and default.eval_examples == 24
    assert all(p.schedule is None and p.eval_examples is None for p in PROFILES.values() if not p.on_cpu)
