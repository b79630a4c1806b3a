"""Write the bundled demo exports (assistant/demo/data/) of the fictional user Alex Rivera, 2022-2025.

    .venv/bin/python scripts/make_demo_data.py [--out FOLDER]

Deterministic (one seeded RNG, no wall clock): a rerun rewrites identical files, so the committed data
stays reviewable and any edit here shows up as a reviewable diff there. Everyone in it is made up.

What the demo needs from the data:
- one person under three names: "Alex Rivera" (WhatsApp), "Alex R" (Telegram), "alexr" (Discord);
- a contact who did not consent (Jordan Lee, Discord) and is also mentioned by name elsewhere;
- a style that changes with time: until the new job in April 2024 Alex writes lowercase, "haha",
  emoji and bursts of short messages; afterwards capitalised sentences, fewer emoji, less slang;
- recurring topics (climbing, cooking, the job change), a little PII for redaction to show.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

OUT = Path(__file__).resolve().parent.parent / "assistant" / "demo" / "data"
SEED = 20240415
ZONE = ZoneInfo("America/Chicago")  # where Alex lives; WhatsApp writes this local time without an offset
START, END = datetime(2022, 1, 8), datetime(2025, 6, 20)
NEW_JOB = datetime(2024, 4, 15)  # Alex's first day at Northwind Labs: the style shifts from here

ALEX = "A"
NAMES = {
    "whatsapp": {"A": "Alex Rivera", "M": "Maya Chen", "P": "Priya Nair", "T": "Tom Becker"},
    "telegram": {"A": "Alex R", "S": "Sam Okafor"},
    "discord": {"A": "alexr", "J": "Jordan Lee"},
}

# ---- the conversations ---------------------------------------------------------------------------------
# A scene is a block of "X: text" lines, X a speaker key. " | " splits a burst into several messages,
# "\n" is a line break inside one message, {slot} is filled per use and ((a;b;c)) picks one phrasing.
# Routine scenes (making plans, sharing food) recur with new slots; story scenes happen once.

SLOTS = {
    "day": ["thursday", "friday", "saturday", "sunday", "tuesday", "wednesday"],
    "time": ["6", "6:30", "7", "7:30", "8"],
    "dish": ["mapo tofu", "pork dumplings", "shakshuka", "mushroom risotto", "pad see ew", "miso ramen",
             "chicken adobo", "green curry", "lasagna", "birria tacos", "dal", "bibimbap"],
    "crag": ["devil's lake", "the red river gorge", "starved rock", "horseshoe canyon"],
    "show": ["severance", "the bear", "shogun", "slow horses", "the last of us", "reservation dogs"],
    "color": ["blue", "yellow", "purple", "green", "pink", "orange"],
    "book": ["tomorrow and tomorrow and tomorrow", "project hail mary", "the overstory", "piranesi",
             "klara and the sun"],
    "snack": ["cookies", "the good chips", "clementines", "banana bread", "gummy bears"],
}


@dataclass(frozen=True)
class Cast:
    """The scenes of one chat, by era (before or after the new job)."""

    routine_before: list[str]
    routine_after: list[str]
    once_before: list[str]
    once_after: list[str]
    pinned: list[tuple[datetime, str]] = field(default_factory=list)


MAYA = Cast(
    routine_before=[
        """A: ((climbing {day}?;gym {day}?;you climbing {day}?)) | ((the new set at boulderhaus looks sick;they reset the cave;i need to get out of the house))
M: ((yesss!! {time}?;yes! {time}?;always. {time}?))
A: {time} works | ((i'll grab us a spot by the wall;see you there;bringing {snack}))
M: ((perfect;🙌;see you!))""",
        """M: did you send the {color} ((overhang;slab;traverse)) yet??
A: ((no;NO;not yet)) | ((fell at the last move again;so close last time;the top is so sketchy)) | ((my fingers just open up;i think it's my feet;it's cursed))
M: ((it's a body position thing, get your hips in;try it with a heel hook;you'll get it next time))
A: ((ok coach;thanks coach;we'll see))""",
        """A: ((making;cooking)) {dish} tonight | ((want some?;you hungry?;come eat?)) ((i always make way too much;made a huge pot;there's enough for 4))
M: ((omg yes, what time;YES. when;on my way in 20))
A: ((8ish;whenever;7:30?)) | ((bring the good hot sauce;bring {snack};just bring yourself))
M: ((deal;🙌;ok!!))""",
        """M: how was the {dish}??
A: ((honestly the best one i've made;good!! a bit too salty;kind of a disaster)) | ((the trick was toasting the spices first;next time less salt;i burned the garlic))
M: ((send recipe pls;next time invite me;lol))
A: ((i'll write it up;it's mostly vibes;noted))""",
        """A: ((work is killing me this week;long day;today was a lot)) | ((three client decks due friday;the client changed everything again;my boss wants a new logo by monday))
M: ((noooo. wine after?;ugh. climbing?;sending strength))
A: ((yes please;both;maybe tomorrow)) | ((or climbing. or both;i need to hit something;i'm so tired))
M: ((both is the answer;deal;❤️))""",
        """M: are you watching {show}
A: ((just started it;finished it last night;not yet)) | ((no spoilers!!;so good;is it good?))
M: ((my lips are sealed;ep 5 though 👀;it's SO good))
A: ((don't;ok ok;watching tonight))""",
        """A: ((you around this weekend?;any plans {day}?)) | ((thinking of a hike;want to go to the farmers market?))
M: ((saturday yes;sunday works;yes!)) ((9am?;10?;after lunch?))
A: ((early but ok;works;perfect)) | ((i'll drive;meet at yours?))""",
        """M: ((training plan for the trip?;how's the hangboarding going))
A: ((hangboard 2x a week;mostly just climbing more;badly)) | ((and actually stretching for once;my forearms disagree;i keep skipping it))
M: ((look at you being responsible;you need a plan;lol))""",
        """A: ((my hands are destroyed;skin is gone;rest day today)) | ((that new crimpy set is brutal;too many slopers;the volume problem ate me))
M: ((tape and rest day!;moisturize!!;same))
A: ((yes mom;i know;ok ok))""",
        """M: ((it's snowing AGAIN;it's so cold;rain all weekend))
A: ((not leaving the house;soup day;i'm hibernating)) | ((making {dish};blanket and {show}))
M: ((send soup;jealous;save me some))""",
    ],
    routine_after=[
        """A: Are you free for climbing on {day}? I finish at ((six;5:30;six-thirty)) now.
M: ((yes! {time}?;yes, {time}?;always))
A: {time} works for me. ((See you at the gym.;I'll bring {snack}.;See you there.))""",
        """M: ((how's northwind treating you;how's work;how's the new team))
A: ((Good. We're shipping the new onboarding flow next week, so it's a bit hectic.;Busy, but good. I'm learning a lot.;Really good. We just finished a big research round.))
M: ((look at you with your roadmap;proud of you;do you miss the agency))
A: ((Ha. I know. I sound like a manager now.;Not at all.;Thank you.))""",
        """A: I made {dish} ((again;last night)), you should come over on {day}.
M: ((yes please, what do i bring;omg yes;i'm in))
A: ((Just yourself. Maybe dessert.;Bring {snack}.;Nothing, I have everything.))""",
        """M: did you see the new set??
A: I did. The {color} ((slab;overhang;traverse)) looks ((impossible;really fun;scary)).
M: project it with me
A: Deal. {day}?""",
        """M: ((what are you cooking this week;any new recipes))
A: ((I'm trying {dish} on {day}. The recipe looks simple, which usually means it isn't.;Pasta from scratch again. I think I finally have the dough right.))
M: ((report back;save me some;photos please))
A: ((I will.;Of course.))""",
        """A: ((The gym reset the cave.;There's a new {color} circuit at the gym.)) ((Want to try it on {day}?;Are you coming this week?))
M: ((yes!! {time}?;can't this week 😭;maybe, depends on work))
A: ((Great, see you then.;No worries, next week then.;Let me know.))""",
        """M: ((are you coming to priya's on saturday;you're coming to tom's thing right))
A: ((Yes, I'll be there around eight. Should I bring anything?;Yes. I'm bringing {dish}.))
M: ((ice!;just you;{snack} maybe))""",
        """A: ((How was your week?;How are you doing?;How was the trip?))
M: ((long. yours?;good! tired;amazing, i'll tell you everything))
A: ((Busy, but good. Dinner soon?;Same. Let's catch up this weekend.;I want to hear all of it. Coffee on {day}?))
M: ((yes!!;yes please;deal))""",
    ],
    once_before=[
        """M: happy birthday!!! 🎂🎉 hope the old bones still crimp
A: thank you!! | bones are fine, tendons are another story
M: dinner this week to celebrate?
A: yes! | {day}?""",
        """A: update: sent the {color} one | FINALLY
M: AAAAA
M: proud of you
A: hips in. you were right | don't let it go to your head""",
        """M: doug died 😭
A: doug the sourdough starter?? | rip doug
M: i forgot to feed him for two weeks
A: i still have some of his descendants in my fridge | doug lives on
M: you're a hero""",
        """A: can i borrow your crash pad this weekend? | going outside with tom
M: sure, pick it up whenever
A: thank youuu | i'll bring it back clean i promise""",
        """M: are you ok? you seemed off yesterday
A: yeah just tired | thinking about whether i want to stay at the agency tbh
M: oh?? let's talk properly. coffee tomorrow?
A: ok | 10 at the usual place?""",
        """A: random but what was that ramen place you liked | the one near the park
M: menya? on clark
A: yes that one | going tonight
M: get the spicy miso, trust me""",
        """M: my new number btw, the old phone died: +1 312 555 0147
A: saved! | rip old phone""",
        """A: ok unpopular opinion | cilantro is overrated
M: blocked
A: ok it's fine on tacos""",
        """A: finished {book} | cried on the train like an idiot
M: told you!!
A: you did. | ok what next""",
        """A: look at this
A: <Media omitted>
A: the wall at {crag} 😍
M: WAIT we need to go
A: may long weekend? | i'll ask the crew""",
        """M: i think i'm adopting a cat
A: WHAT | yes | name him doug 2
M: it's a her
A: dougette""",
        """A: the agency wants me to lead the rebrand | which is cool | but also more hours for the same money
M: ask for a raise!!
A: scary | but ok""",
        """M: did you ask about the raise
A: they said maybe next year | so no
M: that's a no with extra steps
A: yeah | i'm starting to look around""",
        """A: made dumplings from scratch | 60 of them | i have no regrets and no feeling in my fingers
M: FREEZE SOME FOR ME
A: already bagged | they're yours""",
        """M: you're coming to my thing on saturday right
A: obviously | what do i bring
M: ice and good vibes
A: ice i can do | vibes tbd""",
        """A: the crew trip was perfect | i'm still sore
M: the sunset on day 2!!!
A: <Media omitted>
A: best photo of the year""",
        """M: i signed up for a pottery class
A: wait that's amazing | make me a mug
M: it will be ugly
A: i'll love it anyway""",
        """A: does this look infected | <Media omitted>
M: that's just a flapper. tape it
A: ok good | dramatic of me""",
        """M: ok be honest, is my portfolio site too much
A: the colors are great | the font on the about page is a lot though
M: ugh you're right
A: still the best one i've seen this year""",
        """A: i bought a hangboard | it's on the door frame | my landlord will never know
M: famous last words
A: it's fine | probably""",
        """M: new year's resolutions?
A: climb v5 outside | cook something new every week | stop doom scrolling
M: two out of three is good
A: which one do you think i fail haha""",
        """A: my first v5 outside!!! | at {crag} | i'm shaking
M: ALEX
M: 🎉🎉🎉
A: the crew is buying me a beer tonight""",
    ],
    once_after=[
        """M: miss our long chats
A: Me too. Work has been busy but I'm trying to be better at replying.
A: Dinner next week?
M: yes!!""",
        """A: I finally read {book}. You were right, it's wonderful.
M: told you
A: What should I read next?""",
        """A: Quick question, do you still have the crash pad?
M: yes, lent it to priya but she's bringing it back
A: Great, no rush. I'm thinking about going to {crag} in May.""",
        """M: the cat knocked over my pottery mug 😭
A: Oh no, not the mug. Was it the one with the wonky handle?
M: yes. rip
A: Make another. I'll still use it.""",
        """A: Northwind is sending me to a conference in Denver next month.
M: fancy!! are you speaking?
A: Just attending this time. Maybe next year.""",
        """M: happy birthday!! 🎂 how does it feel to be so old
A: Thank you! It feels the same, honestly. Dinner on {day}?
M: yes, my treat this year""",
        """A: I signed up for a lead climbing course. Six weeks, starting in October.
M: finally!! roped buddies
A: Don't get too excited, I still hate falling.""",
        """M: are you still doing the cook something new every week thing
A: Mostly. This week was {dish}. Next week I want to try making pasta from scratch.
M: invite me to pasta week
A: Of course.""",
        """A: Sorry I missed your call. Everything okay?
M: yes! just wanted to tell you i got the job at the studio!!!
A: Maya, that's fantastic. Congratulations! We're celebrating.""",
        """M: doug 2 update: i have a new sourdough starter
A: Welcome back, Doug. Please feed this one.
M: i set a reminder this time""",
    ],
    pinned=[
        (datetime(2024, 1, 20), """A: so | i applied for that product design role at northwind labs
M: WHAT. the one you sent me in december?
A: yes | don't tell anyone yet
M: my lips are sealed 🤐"""),
        (datetime(2024, 2, 22), """A: second interview went well i think | they asked about the booking app redesign
M: of course it went well, you're great at this
A: we'll see | final round is next week"""),
        (datetime(2024, 3, 8), """A: I GOT IT | they made an offer!! 🎉
M: AAAAAAA
M: congratulations!!! we're celebrating this weekend
A: i still have to tell my boss | terrifying | but yes celebrating"""),
        (datetime(2024, 4, 15), """M: good luck on your first day!!
A: Thank you! I'm nervous but excited.
M: you'll be amazing
A: I'll report back tonight."""),
        (datetime(2024, 4, 19), """M: so how's the new job??
A: Honestly really good. The team is small and everyone is kind. | The onboarding is a lot though.
M: proud of you 🥹"""),
    ],
)

CREW = Cast(
    routine_before=[
        """M: who's in for {day}?
P: ((me!;me;yes))
T: ((i can do {time};{time} for me;in))
A: ((in;yes!;count me in)) | {time} works
M: 🧗‍♀️""",
        """M: the {color} circuit is out
T: first one to flash it buys beers
A: that's a trap | ((i'm in;deal;ok fine))""",
        """T: sorry guys, can't make it ((tonight;{day})), ((work thing;i'm sick;family stuff))
M: boo
A: ((next time!;feel better!;we'll miss you))""",
        """A: anyone want to carpool to the gym on {day}? | i have space for 3
P: ((me please;yes!))
T: ((me too;i'll bike))""",
        """P: stretching session before we climb? my shoulders are a mess
M: yes pls
A: yes | 15 min early?""",
    ],
    routine_after=[
        """M: who's in for {day}?
A: I'm in, but I can only stay until ((8;8:30;9)).
P: same
T: {time} then""",
        """T: ((anyone up for;who wants)) {crag} ((next month;in the spring;this fall))?
A: I can drive. I'll bring the stove and coffee, as always.
M: the best part of every trip""",
        """P: shoe resole order going out, anyone?
A: Yes please, my left shoe is done.
M: me too""",
    ],
    once_before=[
        """T: trip to {crag} in may, who's in
M: yes
P: yes if i can get the friday off
A: yesss | i'll bring the stove and the good coffee
T: legend""",
        """P: anyone selling shoes? mine have a hole in the toe 😭
A: i have old solutions, size 41 | yours if they fit
P: omg yes
A: bringing them thursday""",
        """P: party at mine on saturday! 48 Maple Drive, from 8
M: yay!!
A: i'll bring {dish} | and a speaker
T: bringing the boardgames""",
        """M: <Media omitted>
M: look who finally sent it
A: 🙌🙌
P: HUGE
T: legend""",
        """T: Jordan from alex's discord wants to try climbing, can they come on {day}?
A: jordan lee? sure, i'll ask them
M: the more the merrier""",
        """M: trip packing list:\\n- rope\\n- quickdraws\\n- the big tent\\n- snacks (alex)
A: why am i always snacks
P: because you're good at it
A: fair""",
    ],
    once_after=[
        """M: group dinner for alex's new job!! {day} at mine
A: You're all too kind. I'll bring dessert.
T: congrats alex!!
P: 🎉""",
        """P: the gym is doing a members' comp in march, who's entering
A: I'll enter if someone enters with me.
T: i'm in
M: me too!""",
    ],
)

SAM = Cast(
    routine_before=[
        """S: Made the {dish} you recommended. ((Absolute triumph.;Not bad for a first go.;My flatmate asked for seconds.))
A: ((yesss;amazing;nice!!)) | ((did you do the thing with the spices;did you use the chili oil;how long did you simmer it))
S: ((Toasted them first, like you said. Life changing.;I did. Worth it.;About an hour.))
A: ((told you;hero;the way))""",
        """S: ((Fancy a call this weekend?;Free for a call soon?)) It's been ages.
A: yes! | ((sunday afternoon?;saturday morning?))
S: ((Sunday at 3 your time works.;Saturday at 10 your time, then.))
A: ((perfect;it's a date))""",
        """A: how's london | ((still raining?;still grey?))
S: ((Always. But the pubs are warm.;Grey and lovely.;Sunny, for once. Nobody knows what to do.))
A: ((jealous of the pubs;send some sun;ha))""",
        """S: How's the climbing going?
A: ((good!;slow;great actually)) | ((finally sending {grade}s;stuck on a {grade} for weeks;the new set suits me)) | ((my fingers hate me;i need stronger fingers))
S: I still don't know what any of that means, but ((congratulations.;keep at it.))""",
        """A: ((what are you cooking tonight;dinner plans?))
S: ((Just a {dish}. Nothing fancy.;Leftovers, sadly.;Trying a {dish} from that book you sent.))
A: ((jealous;i'm having cereal;save me some))""",
    ],
    routine_after=[
        """S: Made the {dish} again ((for my sister;last night)). ((She asked for the recipe.;It keeps getting better.))
A: ((I'll write it down properly this time.;Glad it worked again.))
S: ((With measurements, please. Not vibes.;Good.))""",
        """A: ((How's London?;How are things?;How was your week?))
S: ((Grey, but good. You?;Busy. The kitchen reopened.;Good. I finally took a day off.))
A: ((Good here too. Work is busy in a good way.;Tired, but happy. We launched the new onboarding flow.))""",
        """S: ((Read anything good lately?;Any book recommendations?))
A: ((I just finished {book}. You'd like it.;I'm halfway through {book}. Slow start, but it's worth it.))
S: ((Adding it to the list.;I'll pick it up this weekend.))""",
        """A: ((I'm cooking for the team on Friday. Any ideas for twelve people?;What would you make for a work potluck?))
S: ((A big pot of {dish}. It scales well and travels well.;Something that sits well at room temperature. A {dish}, maybe.))
A: ((Good idea, thank you.;Perfect, that's the plan then.))""",
        """S: ((Call this weekend?;Free for a chat on Sunday?))
A: ((Yes, Sunday at 10 your time works.;Saturday is better for me. Is 4pm your time okay?))
S: Perfect.""",
    ],
    once_before=[
        """A: ok i need advice | how do you make rice not sticky
S: Rinse it until the water runs clear, then rest it after cooking. Don't lift the lid.
A: the lid thing. i always lift the lid 😅
S: Patience, Alex.""",
        """S: Have you read {book}?
A: not yet | is it good?
S: It's wonderful. I'll send you my copy.
A: you're the best""",
        """A: i'm making {dish} for the climbing crew | is that too ambitious for 6 people
S: Not at all. Double everything except the salt.
A: noted""",
        """A: random question | would you ever leave your job for something smaller
S: I did, remember? Best decision I made. Why?
A: just thinking | the agency is wearing me down
S: Let's talk properly on Sunday.""",
        """S: My new number, by the way: +44 7700 900461
A: saved!""",
        """A: what's the name of that hot sauce you brought last time
S: Dorset Naga. I'll bring two bottles in the summer.
A: yes please | the crew finished it in a day""",
        """A: northwind called me back!! | final round next week
S: Brilliant. Prepare the booking app story, it's your best one.
A: on it""",
        """S: Happy birthday, Alex! Hope the year is kind to you.
A: thank you sam!! | miss you""",
    ],
    once_after=[
        """S: How's the new job?
A: Really good, thank you. The team is small, so I get to work on everything.
S: That's what you wanted.
A: It is. I'm still learning the engineering side of things.""",
        """A: I tried your rice method again. It works every time.
S: Of course it does.
A: I also stopped lifting the lid, you'll be proud.""",
        """S: Are you still visiting in September?
A: Yes, flights are booked for the 12th. Can I stay with you for a few nights?
S: Of course. The spare room is yours.""",
        """A: Can you send me your email? I want to share the trip photos.
S: sam.okafor@example.co.uk
A: Thanks, sending them tonight.""",
        """A: Thank you for hosting me. London was exactly what I needed.
S: Come back soon. The spare room misses you.""",
    ],
)

JORDAN = Cast(
    routine_before=[
        """J: yo you on ((tonight;later;this weekend))?
A: yes | ((after dinner;after the gym)) | ((9?;10?))
J: ((works, bring snacks;bet;ok))
A: ((always;see you))""",
        """A: ((that boss fight tho;that raid;last night was chaos)) | ((3 hours;we were so close)) | ((my hands hurt more than after climbing;i need sleep))
J: ((lol you were so bad at the dodge;we'll get it next time;skill issue))
A: ((excuse me;rude;fair)) | ((i carried that run;next time))""",
        """A: happy friday | ((what are you up to this weekend;any plans))
J: ((absolutely nothing and i'm thrilled;visiting my parents;gaming obviously))
A: ((goals;nice;same))""",
    ],
    routine_after=[
        """J: ((on tonight?;games saturday?))
A: ((Maybe later, I'm still at work.;Saturday works. After 8?))
J: ((ok;bet))""",
    ],
    once_before=[
        """J: did you see the new figma update
A: the autolayout stuff? | it's so good | i redid the whole component library this week
J: nerd
A: takes one to know one""",
        """J: my secret plan: quit everything and open a bakery
A: i'd buy bread from you | every day
J: sourdough only
A: obviously""",
        """J: can you look at my portfolio before i send it out
A: of course | send it over
J: jordan.lee@example.net has the link, check your inbox
A: got it, reading tonight""",
        """J: do you still climb at that place, boulderhaus?
A: yes! | you should come sometime
J: maybe. i'm scared of heights
A: it's like 4 meters""",
    ],
    once_after=[
        """J: congrats on the new job!!
A: Thank you! It's been a good first month.
J: do you still have time for games lol
A: Less than before, but yes. Saturday?""",
        """J: what's northwind like
A: Small team, nice people, lots to do. I'm enjoying it.
J: jealous
A: They're hiring, by the way. Want me to send you the link?""",
    ],
)


# ---- rendering -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    when: datetime  # local time, naive
    speaker: str
    text: str


SLANG_AFTER = [(r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"), (r"\bu\b", "you"), (r"\bpls\b", "please"),
               (r"\btbh\b", "to be honest"), (r"\byesss+\b", "yes"), (r"\bthank youuu\b", "thank you")]
EMOJI = ["😂", "🙌", "🧗", "🔥", "😅", "🥲"]


def alex_style(text: str, when: datetime, rng: random.Random) -> str:
    """Before the new job: lowercase, 'haha', emoji. After: capitalised sentences, little slang or emoji."""
    if "<Media omitted>" in text:
        return text
    if when < NEW_JOB:
        text = text.lower()
        if rng.random() < 0.1 and "haha" not in text:
            text += " haha"
        if rng.random() < 0.1:
            text += " " + rng.choice(EMOJI)
        return text
    for pattern, replacement in SLANG_AFTER:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\s*\bhaha\b", "", text) if rng.random() < 0.8 else text
    text = re.sub(r"\s*[😂🙌🧗🔥😅💪]+", "", text) if rng.random() < 0.85 else text
    text = re.sub(r"\bi\b", "I", text).strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1].isalnum() and len(text) > 12:
        text += "."
    return text


_CHOICE = re.compile(r"\(\(([^()]*)\)\)")


def fill(template: str, when: datetime, rng: random.Random) -> str:
    grade = "v4" if when.year == 2022 else "v5" if when.year == 2023 else "v6"
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split(";")), template)
    values = {key: rng.choice(options) for key, options in SLOTS.items()} | {"grade": grade}
    return text.format(**values)


def scene_messages(template: str, start: datetime, rng: random.Random) -> list[Msg]:
    """A scene's lines as timed messages: a few minutes between turns, seconds within a burst."""
    messages: list[Msg] = []
    when = start
    for line in fill(template, start, rng).splitlines():
        speaker, _, body = line.partition(": ")
        for i, part in enumerate(body.split(" | ")):
            when += timedelta(seconds=rng.randint(8, 40) if i else rng.randint(40, 420))
            text = part.replace("\\n", "\n")
            messages.append(Msg(when, speaker, alex_style(text, start, rng) if speaker == ALEX else text))
    return messages


RETELLINGS = 20
SET_PHRASE = 20  # characters: shorter replies ("ok ok", "same") repeat in any real chat


def long_exchanges(scene: list[Msg]) -> set[tuple[str, str]]:
    """(message, Alex's answer to it) for each answer long enough that repeating it would be a copy."""
    return {(before.text, m.text) for before, m in zip(scene, scene[1:])
            if m.speaker == ALEX and before.speaker != ALEX and len(m.text) >= SET_PHRASE}


def conversation(rng: random.Random, cast: Cast, sessions: int) -> list[Msg]:
    """`sessions` scenes on random days: each story scene once, routine ones in between, all era-appropriate."""
    days = sorted(rng.sample(range((END - START).days), sessions))
    dates = [START + timedelta(days=d) for d in days]
    plan: dict[int, str] = {}
    for once, routine, in_era in (
        (cast.once_before, cast.routine_before, lambda d: d < NEW_JOB),
        (cast.once_after, cast.routine_after, lambda d: d >= NEW_JOB),
    ):
        slots = [i for i, d in enumerate(dates) if in_era(d)]
        story = rng.sample(slots, min(len(once), len(slots)))
        plan |= dict(zip(story, rng.sample(once, len(story))))
        deck: list[str] = []
        for i in slots:
            if i not in plan:
                deck = deck or rng.sample(routine, len(routine))  # every routine scene before any repeats
                plan[i] = deck.pop()
    messages: list[Msg] = []
    told: set[tuple[str, str]] = set()
    for i, date in enumerate(dates):
        start = date.replace(hour=rng.choice([8, 12, 13, 17, 18, 19, 20, 21, 22]), minute=rng.randint(0, 59))
        scene = scene_messages(plan[i], start, rng)
        # A routine scene told again word for word would be a duplicate exchange in the index and the
        # dataset: retell it from a side RNG (the main one stays on its path, so other scenes don't move).
        for attempt in range(1, RETELLINGS):
            if not long_exchanges(scene) & told:
                break
            scene = scene_messages(plan[i], start, random.Random(f"{SEED}:{start.isoformat()}:{attempt}"))
        told |= long_exchanges(scene)
        messages += scene
    for date, template in cast.pinned:
        messages += scene_messages(template, date.replace(hour=19, minute=rng.randint(0, 59)), rng)
    return sorted(messages, key=lambda m: m.when)


# ---- WhatsApp (Android, US locale) -------------------------------------------------------------------------------


def whatsapp_stamp(when: datetime) -> str:
    hour = when.hour % 12 or 12
    return f"{when.month}/{when.day}/{when.strftime('%y')}, {hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"


def write_whatsapp(path: Path, messages: list[Msg], system: list[tuple[datetime, str]]) -> None:
    names = NAMES["whatsapp"]
    lines = [(when, f"{whatsapp_stamp(when)} - {text}") for when, text in system]
    lines += [(m.when, f"{whatsapp_stamp(m.when)} - {names[m.speaker]}: {m.text}") for m in messages]
    lines.sort(key=lambda pair: pair[0])
    path.write_text("\n".join(text for _, text in lines) + "\n", encoding="utf-8")


ENCRYPTION = ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
              "can read or listen to them. Tap to learn more.")


def maya_chat(rng: random.Random) -> tuple[list[Msg], list[tuple[datetime, str]]]:
    messages = conversation(rng, MAYA, sessions=115)
    # A few things every real chat has: a long multi-line message, an edit, a deleted message.
    recipe = ("ok here it is\n1. toast the spices\n2. onions low and slow, like 20 min\n3. everything else, "
              "then simmer\nthat's it haha")
    extras = [
        Msg(datetime(2022, 11, 3, 20, 14), "A", recipe),
        Msg(datetime(2022, 11, 3, 20, 16), "M", "saving this forever"),
        Msg(datetime(2023, 6, 2, 21, 5), "M", "This message was deleted"),
        Msg(datetime(2023, 6, 2, 21, 6), "M", "wrong chat lol <This message was edited>"),
        Msg(datetime(2024, 9, 14, 10, 2), "A",
            "Packing list for the trip:\n- chalk and tape\n- the big stove\n- rain jacket (learned my lesson)"),
        Msg(datetime(2024, 9, 14, 10, 9), "M", "you forgot snacks"),
        Msg(datetime(2024, 9, 14, 10, 10), "A", "Snacks are implied."),
    ]
    system = [(START - timedelta(hours=1), ENCRYPTION)]
    return sorted(messages + extras, key=lambda m: m.when), system


def crew_chat(rng: random.Random) -> tuple[list[Msg], list[tuple[datetime, str]]]:
    messages = conversation(rng, CREW, sessions=40)
    t0 = START + timedelta(days=2, hours=10)
    system = [
        (t0, ENCRYPTION),
        (t0 + timedelta(minutes=1), 'Maya Chen created group "Climbing Crew"'),
        (t0 + timedelta(minutes=2), "Maya Chen added Alex Rivera"),
        (t0 + timedelta(minutes=3), "Maya Chen added Priya Nair"),
        (t0 + timedelta(days=40), "Tom Becker joined using this group's invite link"),
        (datetime(2023, 3, 1, 9, 30), "Priya Nair changed this group's icon"),
    ]
    # Tom writes only after he joined.
    messages = [m for m in messages if m.speaker != "T" or m.when > system[4][0]]
    return messages, system


# ---- Telegram Desktop (one chat, result.json) ----------------------------------------------------------------------


def telegram_export(rng: random.Random) -> dict:
    messages = conversation(rng, SAM, sessions=75)
    names = NAMES["telegram"]
    ids = {"A": "user5551000001", "S": "user5551000002"}
    out: list[dict] = [{
        "id": 1, "type": "service", "date": "2022-01-08T11:00:00", "date_unixtime": _unix(datetime(2022, 1, 8, 11)),
        "actor": names["A"], "actor_id": ids["A"], "action": "phone_call", "duration_seconds": 1260,
        "text": "", "text_entities": [],
    }]
    first_of_scene: int | None = None
    previous: Msg | None = None
    for m in messages:
        message_id = len(out) + 1
        record: dict = {
            "id": message_id, "type": "message", "date": m.when.isoformat(timespec="seconds"),
            "date_unixtime": _unix(m.when), "from": names[m.speaker], "from_id": ids[m.speaker],
        }
        new_scene = previous is None or m.when - previous.when > timedelta(hours=2)
        if new_scene:
            first_of_scene = message_id
        elif m.speaker == "S" and first_of_scene and rng.random() < 0.15:
            record["reply_to_message_id"] = first_of_scene  # Sam likes quoting what he answers
        record["text"] = m.text
        record["text_entities"] = [{"type": "plain", "text": m.text}]
        out.append(record)
        previous = m
    # A forwarded recipe with a link entity, and a photo with a caption.
    forward_at = datetime(2023, 2, 11, 18, 40)
    link = "https://www.example-recipes.com/dan-dan-noodles"
    out.append({
        "id": len(out) + 1, "type": "message", "date": forward_at.isoformat(timespec="seconds"),
        "date_unixtime": _unix(forward_at), "from": names["S"], "from_id": ids["S"],
        "forwarded_from": "Serious Noodles", "text": ["Dan dan noodles in 20 minutes: ", {"type": "link", "text": link}],
        "text_entities": [{"type": "plain", "text": "Dan dan noodles in 20 minutes: "}, {"type": "link", "text": link}],
    })
    photo_at = forward_at + timedelta(minutes=3)
    out.append({
        "id": len(out) + 1, "type": "message", "date": photo_at.isoformat(timespec="seconds"),
        "date_unixtime": _unix(photo_at), "from": names["S"], "from_id": ids["S"],
        "photo": "photos/photo_1@11-02-2023_18-43-00.jpg", "width": 1280, "height": 960,
        "text": "Tonight's attempt", "text_entities": [{"type": "plain", "text": "Tonight's attempt"}],
    })
    out.append({
        "id": len(out) + 1, "type": "message", "date": (photo_at + timedelta(minutes=2)).isoformat(timespec="seconds"),
        "date_unixtime": _unix(photo_at + timedelta(minutes=2)), "from": names["A"], "from_id": ids["A"],
        "reply_to_message_id": len(out), "text": "that looks incredible\ni'm so hungry now",
        "text_entities": [{"type": "plain", "text": "that looks incredible\ni'm so hungry now"}],
    })
    out.sort(key=lambda r: int(r["date_unixtime"]))
    renumber = {r["id"]: i for i, r in enumerate(out, 1)}
    for r in out:
        r["id"] = renumber[r["id"]]
        if "reply_to_message_id" in r:
            r["reply_to_message_id"] = renumber[r["reply_to_message_id"]]
    return {"name": names["S"], "type": "personal_chat", "id": 5551000002, "messages": out}


def _unix(local: datetime) -> str:
    return str(int(local.replace(tzinfo=ZONE).timestamp()))


# ---- Discord (DiscordChatExporter JSON, a DM) ------------------------------------------------------------------------

DISCORD_EPOCH_MS = 1420070400000


def _snowflake(when: datetime, sequence: int) -> str:
    ms = int(when.replace(tzinfo=ZONE).timestamp() * 1000)
    return str(((ms - DISCORD_EPOCH_MS) << 22) + sequence)


def discord_export(rng: random.Random) -> dict:
    messages = conversation(rng, JORDAN, sessions=30)
    authors = {
        "A": {"id": "402938475610293847", "name": "alexr", "discriminator": "0000", "nickname": "alexr",
              "color": None, "isBot": False, "roles": [], "avatarUrl": "https://cdn.discordapp.com/embed/avatars/1.png"},
        "J": {"id": "398475610293847561", "name": "jordanlee", "discriminator": "0000", "nickname": "Jordan Lee",
              "color": None, "isBot": False, "roles": [], "avatarUrl": "https://cdn.discordapp.com/embed/avatars/3.png"},
    }
    channel_id = "1098765432109876543"
    out: list[dict] = []
    previous: dict | None = None
    for i, m in enumerate(messages):
        aware = m.when.replace(tzinfo=ZONE)
        record = {
            "id": _snowflake(m.when, i), "type": "Default",
            "timestamp": aware.isoformat(timespec="milliseconds"), "timestampEdited": None,
            "callEndedTimestamp": None, "isPinned": False, "content": m.text, "author": authors[m.speaker],
            "attachments": [], "embeds": [], "stickers": [], "reactions": [], "mentions": [],
        }
        if previous is not None and m.speaker == "A" and previous["author"]["nickname"] == "Jordan Lee" \
                and rng.random() < 0.1:
            record["type"] = "Reply"
            record["reference"] = {"messageId": previous["id"], "channelId": channel_id, "guildId": None}
        out.append(record)
        previous = record
    return {
        "guild": {"id": "0", "name": "Direct Messages", "iconUrl": "https://cdn.discordapp.com/embed/avatars/0.png"},
        "channel": {"id": channel_id, "type": "DirectTextChat", "categoryId": None, "category": "Private",
                    "name": "Jordan Lee", "topic": None},
        "dateRange": {"after": None, "before": None},
        "exportedAt": "2025-06-21T10:00:00.000-05:00",
        "messages": out,
        "messageCount": len(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the bundled demo exports.")
    parser.add_argument("--out", type=Path, default=OUT, help=f"target folder (default: {OUT})")
    out = parser.parse_args().out
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    maya, maya_system = maya_chat(rng)
    write_whatsapp(out / "WhatsApp Chat with Maya Chen.txt", maya, maya_system)
    crew, crew_system = crew_chat(rng)
    write_whatsapp(out / "WhatsApp Chat with Climbing Crew.txt", crew, crew_system)
    (out / "telegram_sam").mkdir(exist_ok=True)
    (out / "telegram_sam" / "result.json").write_text(
        json.dumps(telegram_export(rng), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "Direct Messages - Jordan Lee [1098765432109876543].json").write_text(
        json.dumps(discord_export(rng), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for path in sorted(out.rglob("*.*")):
        print(f"{path.relative_to(out)}\t{path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
