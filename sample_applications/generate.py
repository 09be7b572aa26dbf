#!/usr/bin/env python3
"""Rebuild the sample applications from the role files in ../roles/.

    .venv/bin/python sample_applications/generate.py [--seed N] [ROLE_FILE ...]

For each role R it writes sample_applications/R/{applications.xlsx, applications.csv, forms/,
expected/R.json}, and for secou-ds also sample_applications/messy/. Everything is seeded
(random.Random, default seed DEFAULT_SEED) and the workbooks' dates and zip timestamps are fixed,
so a rerun gives byte-identical files. The generator scores every applicant itself by the SPEC's
rules and retries (with the next derived seed) until the intended outcomes below hold exactly;
expected.json records those outcomes (status, rank, score, failures, flags) per input file.

Scenario map of applications.xlsx (ids fixed; each scenario picks its criterion from the role
file by position, so the criteria below are those of the current role files; the exact map,
word counts, scores and ranks are printed when run and kept in expected/R.json):

  id         scenario                      secou-ds                      btp-msoct-ds
  S003       fails: below pass             E2 "Limited" (needs Sound)    NOS33 "Developing"
  S010       fails: blank essential        E3 blank (no answer)          NOS49 blank
  S016       fails: unevidenced essential  E1 "Extensive", no evidence   NOS3 "Expert", no evidence
                                           -> counts as "None"           -> counts as "None"
  S020       fails: yes/no gate            T1 (A3 course) "No"           no gate in role: NOS219
                                                                         "Developing"
  S024       fails: step-up                Constable, SU2 "Partly        no step-up in role: NOS57
                                           demonstrated"                 "Developing"
  S030       GIS claimed, fails            CVF6 "Level 1"                BEH7 "B" (needs "A")
  S036       fails two essentials          CSEA1 "N" + E4 "Partly        NOS62 + NOS10 "Developing"
                                           demonstrated"
  S009       GIS, meets essentials         essentials exactly at pass, low desirables: ranks last
                                           (37th of 37) but shortlisted for the guaranteed interview
  S006+S022  tie AT the cut-off            identical ratings, both rank N=8 with exactly 7 above, so
                                           the shortlist holds 9 (+ S009 = 10). S022 spells two
                                           ratings differently: secou CVF1 "L3", CVF2 "LEVEL 3";
                                           btp BEH1 "Level A", BEH2 "a". secou: S006 a Sergeant,
                                           S022 a Detective Constable (step-up met, weight 0)
  S017+S033  tie elsewhere                 identical ratings, shared rank 16 (N+8)
  S012+S027  tie broken                    equal score, S012 higher desirable score -> ranks
                                           just above S027
  S008       over word limit               E1, 265-315 words (limit 250) NOS3
  S034       over word limit x2            D5 and CVF5                   NOS224 and BEH6
  S023       at the word limit             E3 exactly 250 words: no flag NOS49
  S026       unevidenced desirable         D2 "Extensive", no evidence   NOS251 "Expert", no
                                           -> flagged, counts as lowest  evidence: same
  S005       step-up met                   Constable, SU1-SU6 >= pass    (ordinary)
  S031       step-up met                   rank written "constable"      (ordinary)
  S015       Sergeant, step-up blank       not applicable: ranked        (ordinary)
  S038       Sergeant, step-up below pass  not applicable: ranked        (ordinary)
  S002       rating spellings              E1 "extensive", CVF2          NOS3 "expert", NOS71
                                           "  Level 3  "                 "  Competent  "
  S013       rating spellings (aliases)    D1 "no experience", CVF1 "L3" NOS253 "not yet
                                                                         competent", BEH1 "Level A"
  S019       point values, number cells    E1 3, E4 2                    NOS3 3, BEH1 2
  S029       point values as text          E1 "3", E4 "2.0"              NOS3 "3", BEH1 "2.0"
  S035       yes/no spellings              T1 "Y", V1 TRUE (boolean      (ordinary)
                                           cell), CSEA1 "true"
  others     ordinary: meet every essential; apart from the three pairs above no two ranked
             applicants share a score and desirable score (no accidental ties)

applications.csv (C001-C022): C003 below pass, C009 yes/no gate "No" (btp: below pass),
C012 unevidenced essential, C020 blank essential, C007 GIS meeting essentials, C005 step-up met
and C016 Sergeant with blank step-up (secou), C018 over the word limit, C010 evidence with line
breaks, double quotes and commas, C019 accented name, C002/C014/C022 rating spellings.
forms/ (F001-F008, one FORM-layout workbook each): F001 ordinary, F002 step-up met (secou),
F003 fails step-up SU2 (btp: below pass), F004 GIS meeting essentials, F005 below pass, F006
monitoring declined/blank plus alias spellings, F007 over the word limit, F008 unevidenced
desirable.
messy/ (secou-ds): files named for their quirk; messy/README.md says what `check` should report.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import re
import sys
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent
ROLES_DIR = HERE.parent / "roles"
DEFAULT_SEED = 20261116
ZIP_TIME = (2026, 11, 16, 9, 0, 0)
DOC_TIME = "2026-11-16T09:00:00Z"
EXPORT_MONTH = "November 2026"
MESSY_ROLE = "secou-ds"

# Table (xlsx) sample: one scenario per applicant, in id order S001…S044.
TABLE_SLOTS = (
    "ordinary",
    "forms_lower_spaces",
    "fail_below",
    "ordinary",
    "stepup_pass",
    "cutoff_tie_a",
    "ordinary",
    "over_limit",
    "gis_pass_low",
    "fail_blank",
    "ordinary",
    "dtb_hi",
    "forms_alias",
    "ordinary",
    "sergeant_blank_stepup",
    "fail_unevidenced",
    "mid_tie_a",
    "ordinary",
    "forms_points_numeric",
    "fail_gate",
    "ordinary",
    "cutoff_tie_b",
    "at_limit",
    "fail_stepup",
    "ordinary",
    "unevidenced_desirable",
    "dtb_lo",
    "ordinary",
    "forms_points_text",
    "gis_fail",
    "stepup_pass_case",
    "ordinary",
    "mid_tie_b",
    "over_limit_two",
    "forms_yes_no",
    "fail_multi",
    "ordinary",
    "sergeant_low_stepup",
    "ordinary",
    "ordinary",
    "ordinary",
    "ordinary",
    "ordinary",
    "ordinary",
)
CSV_SLOTS = (
    "ordinary",
    "forms_lower_spaces",
    "fail_below",
    "ordinary",
    "stepup_pass",
    "ordinary",
    "gis_pass",
    "ordinary",
    "fail_gate",
    "multiline_quotes",
    "ordinary",
    "fail_unevidenced",
    "ordinary",
    "forms_points_text",
    "ordinary",
    "sergeant_blank_stepup",
    "ordinary",
    "over_limit",
    "accented_name",
    "fail_blank",
    "ordinary",
    "forms_alias",
)
FORM_SLOTS = (
    "ordinary",  # F001 strong Sergeant
    "stepup_pass",  # F002 Detective Constable, step-up answered and met
    "fail_stepup",  # F003 step-up criterion below pass
    "gis_pass",  # F004 guaranteed interview, meets essentials
    "fail_below",  # F005 essential below pass
    "monitoring_declined",  # F006 monitoring all "Prefer not to say"/blank, aliases used
    "over_limit",  # F007 evidence over the word limit (Words column shows it)
    "unevidenced_desirable",  # F008 desirable claimed without evidence
)

# =============================================================================================
# People and places
# =============================================================================================

# (weight, female first names, male first names, surnames, ethnic keyword for monitoring)
NAME_GROUPS = (
    (
        40,
        "Emma Charlotte Sophie Hannah Laura Rebecca Katie Gemma Lucy Rachel Joanne Claire "
        "Sarah Amy Natalie Victoria Helen Kirsty Jodie Alison",
        "James Daniel Thomas Matthew Christopher Mark Stuart Gareth Craig Liam Ben Adam Richard "
        "Paul Simon Jonathan Lee Dean Robert Andrew",
        "Smith Jones Taylor Brown Wilson Evans Roberts Walker Wright Hughes Edwards Green Hall "
        "Wood Harris Clarke Turner Parker Cooper Ward Morgan Bennett Price Fletcher Marsh "
        "Holloway Pritchard Barker Whitfield Ashworth Pearce Lambert",
        "White",
    ),
    (
        12,
        "Siobhan Niamh Ceri Rhiannon Aoife Morag Catriona Eilidh Bethan",
        "Rhys Dafydd Ciaran Declan Callum Euan Fraser Padraig Owain",
        "Llewellyn Griffiths Jenkins MacLeod Campbell O'Connor Murphy Gallagher Doyle "
        "McAllister Kerr O'Neill Fitzgerald",
        "White",
    ),
    (
        14,
        "Priya Anjali Sana Aisha Nadia Harpreet Simran Farzana Ruksana Zainab",
        "Imran Arjun Rajesh Mohammed Zain Sukhdeep Tariq Kamran Vikram Hamza",
        "Patel Khan Hussain Ahmed Shah Sharma Singh Chaudhry Malik Iqbal Sandhu Mistry Rahman "
        "Bhatti",
        "Asian",
    ),
    (
        12,
        "Abena Chiamaka Funmilayo Grace Marcia Simone Adaeze Yetunde Kemi Shanice",
        "Kwame Tunde Oluwaseun Delroy Marcus Emeka Kofi Jerome Tyrone Chidi",
        "Mensah Okafor Adeyemi Francis Boateng Williams Okonkwo Asante Johnson Bailey Thompson "
        "Obi Adebayo Bennett-Okafor",
        "Black",
    ),
    (5, "Mei Jia Yuki Linh", "Wei Jun Kenji Minh", "Chen Wong Li Zhang Tan Nguyen Lam", "Asian"),
    (
        6,
        "Agnieszka Katarzyna Ioana Lina Kasia",
        "Tomasz Piotr Marek Andrei Lukas",
        "Nowak Kowalski Popescu Horvat Kaminski Zielinski",
        "White",
    ),
    (
        5,
        "Leila Yasmin Noor Dina",
        "Omar Karim Samir Yusuf",
        "Haddad Hassan Karimi Aziz Yilmaz Demir",
        "Other",
    ),
    (
        4,
        "Elena Sofia Francesca",
        "Andreas Marco Luca Tiago",
        "Georgiou Papadopoulos Rossi Esposito Ferreira Costa",
        "White",
    ),
)
# cp1252-safe accented names (used for the accented CSV applicant and semicolon_cp1252.csv).
ACCENTED_NAMES = (
    ("Zoë Brontë-Hughes", True, "White"),
    ("Seán Ó Briain", False, "White"),
    ("José Fernández", False, "White"),
    ("Siân Llewellyn", True, "White"),
    ("Renée Okafor", True, "Black"),
    ("François Lefèvre", False, "White"),
)

OPERATIONS = (
    "Kestrel",
    "Hawthorn",
    "Meridian",
    "Fulcrum",
    "Ashdown",
    "Tern",
    "Coldharbour",
    "Lantern",
    "Bramble",
    "Sandpiper",
    "Quartz",
    "Harrier",
    "Orchard",
    "Vanguard",
    "Beacon",
    "Juniper",
    "Halyard",
    "Gannet",
    "Marlin",
    "Teasel",
    "Shingle",
    "Bracken",
    "Larch",
    "Plover",
    "Cinder",
    "Saltmarsh",
    "Granite",
    "Foxglove",
    "Wren",
    "Corvid",
    "Heron",
    "Sable",
)
NUMBER_WORDS = ("four", "five", "six", "seven", "eight", "nine")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "September",
    "October",
    "November",
)

CONTEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "regional": {
        "place": (
            "Reading",
            "Slough",
            "Oxford",
            "Milton Keynes",
            "High Wycombe",
            "Southampton",
            "Portsmouth",
            "Basingstoke",
            "Maidstone",
            "Medway",
            "Canterbury",
            "Guildford",
            "Crawley",
            "Brighton",
            "Hastings",
            "Aylesbury",
        ),
        "court": (
            "Reading",
            "Oxford",
            "Winchester",
            "Portsmouth",
            "Southampton",
            "Maidstone",
            "Canterbury",
            "Guildford",
            "Lewes",
            "Hove",
            "Aylesbury",
        ),
        "team": (
            "the SEROCU Regional Organised Crime Team",
            "the force Serious Organised Crime Unit",
            "the force Covert Operations Unit",
            "the Proactive Team",
            "the Major Crime Unit",
        ),
        "crime": (
            "county lines drug supply",
            "the supply of firearms",
            "money laundering through cash businesses",
            "organised immigration crime",
            "the online sexual exploitation of children",
            "cocaine importation through the port of Southampton",
            "modern slavery in hand car washes",
            "high value plant theft",
        ),
        "force": (
            "Thames Valley Police",
            "Hampshire and Isle of Wight Constabulary",
            "Kent Police",
            "Surrey Police",
            "Sussex Police",
        ),
        "domain": (
            "thamesvalley.police.uk",
            "hampshire.police.uk",
            "kent.police.uk",
            "surrey.police.uk",
            "sussex.police.uk",
        ),
        "partner": (
            "the NCA",
            "HMRC",
            "Border Force",
            "the local authority",
            "the Regional Asset Recovery Team",
        ),
    },
    "rail": {
        "place": (
            "Manchester Piccadilly",
            "Leeds station",
            "Manchester Victoria",
            "Preston",
            "Sheffield",
            "York",
            "Huddersfield",
            "Stockport",
            "Wakefield Westgate",
            "Bradford Interchange",
            "Crewe",
            "Liverpool Lime Street",
        ),
        "court": (
            "Manchester Minshull Street",
            "Manchester Crown Square",
            "Leeds",
            "Bradford",
            "Sheffield",
            "Preston",
            "Bolton",
            "York",
        ),
        "team": (
            "the BTP Major, Serious and Organised Crime Team",
            "BTP CID at Manchester",
            "the Leeds Proactive Team",
            "the Force Intelligence Bureau",
            "BTP CID at Leeds",
        ),
        "crime": (
            "organised pickpocketing on the TransPennine route",
            "county lines drug running on the rail network",
            "cable theft from the rail infrastructure",
            "serious sexual offences on trains",
            "organised ticket fraud",
            "robberies of passengers at Manchester Piccadilly",
        ),
        "force": (
            "British Transport Police",
            "British Transport Police",
            "British Transport Police",
            "Greater Manchester Police",
            "West Yorkshire Police",
        ),
        "domain": (
            "btp.police.uk",
            "btp.police.uk",
            "btp.police.uk",
            "gmp.police.uk",
            "westyorkshire.police.uk",
        ),
        "partner": (
            "Network Rail",
            "the train operating companies",
            "Greater Manchester Police",
            "West Yorkshire Police",
            "the CPS Complex Casework Unit",
        ),
    },
}

# =============================================================================================
# Evidence phrase banks. [topic], keys: (substrings of the criterion text, first match wins),
# area: (noun phrase for honest low ratings), open/body: sentences, yes/no: for yes/no items.
# Lines indented by two spaces continue the sentence above.
# =============================================================================================

BANK = """
[ripa]
keys: ripa
area: RIPA applications
open: I have written and managed RIPA applications for directed surveillance and for CHIS
  use and conduct on {op} and on several other operations over the last {yrs} years.
open: {as_role} on {op}, I drafted the directed surveillance application and presented it
  to the authorising officer, a Superintendent, within a tight operational window.
body: I set out necessity and proportionality against the specific intelligence case,
  addressed collateral intrusion in detail and explained why less intrusive tactics had
  already been tried.
body: I diarised reviews and renewals, kept the central record accurate and cancelled the
  authority as soon as the operational phase ended.
body: At the last IPCO inspection my applications were examined without any adverse finding,
  and I now quality assure drafts for less experienced colleagues.
body: When the intelligence picture changed during the deployment I sought a review rather
  than stretching the existing authority, and I recorded my rationale.

[judicial]
keys: judicial process; cpia
area: the judicial process and disclosure under the CPIA
open: I have acted as disclosure officer on {few} Crown Court trials, including {op}, a
  {weeks} week trial at {court} Crown Court.
open: {as_role} on {op}, I was responsible for the evidential and disclosure strategy from
  charge through to sentence.
body: I prepared the MG6 schedules, identified the sensitive material and worked with the CPS
  reviewing lawyer and counsel on a PII application that the judge upheld.
body: I gave evidence over two days and was cross examined on the handling of unused material,
  and the defence application to stay the case as an abuse of process was dismissed.
body: I hold case conferences with the CPS at key stages so that disclosure issues are found
  early rather than on the eve of trial.
body: I keep up to date with the CPIA Code of Practice and the Attorney General guidelines on
  disclosure, and I briefed my team when the latest revisions came in.

[written_comm]
keys: written communication
area: written and verbal communication
open: Clear communication is central to how I supervise, whether I am briefing a
  surveillance team at 5am or writing a report for a chief officer.
open: On {op} I wrote the operational order and delivered the briefing to more than
  {many} officers from three forces.
body: I adapt my style to the audience, keeping it plain and concise for briefings and
  detailed and structured for files and written submissions.
body: When the case stalled I proposed a new approach using financial intelligence, secured
  the support of my DI and saw it through to charge.
body: The CPS has described my written work as clear and well organised, and I now mentor
  colleagues on statement and report writing.
body: I show drive by following tasks through to completion, and when a tactic fails I look
  for another way to achieve the objective rather than giving up.

[initiative]
keys: own initiative; unsociable
area: working on my own initiative and to flexible hours
open: Covert work does not keep office hours, and throughout my time on {team} I have worked
  flexibly around deployments, including nights and weekends.
open: On {op} the subjects moved at short notice late on a Friday, and as the only supervisor
  on duty I made the initial decisions myself.
body: I reorganised the rota, briefed the on call DI by phone and recorded my decisions and
  rationale in the policy file.
body: I have been on the on call rota for {yrs} years and I regularly respond out of hours to
  authorise urgent actions within my level of authority.
body: I do not wait to be told what to do; I identify what needs doing, check it against
  policy and act, keeping my line manager informed.
body: My personal circumstances allow me to work unsociable hours when operationally
  required, and I plan my own time so that I stay fit and effective.

[integrity]
keys: integrity; ethical
area: ethical decision making
open: I use the National Decision Model and the Code of Ethics as a matter of routine, and I
  record my rationale whenever a decision is finely balanced.
open: On {op} a colleague suggested cutting a corner on the continuity of an exhibit to meet
  a deadline, and I refused.
body: I explained why the integrity of the evidence mattered more than the date, raised it
  with my DI and the exhibit was properly resubmitted.
body: I have challenged inappropriate language in the office, first informally and then
  formally when it was repeated.
body: In covert policing the temptation to stretch an authority is real, and I have always
  gone back to the authorising officer rather than act outside it.
body: I declare any potential conflict of interest early, and I once stood down from an
  investigation because I knew a witness socially.

[uc_deploy]
keys: undercover operatives
area: the deployment and management of undercover operatives
open: I am a trained cover officer and have managed the deployment of undercover operatives
  on {few} operations, including {op}.
open: On {op} I was the cover officer for two UCOs over a {months} month deployment.
body: I managed the legend, the deployment logs and the daily welfare contact, and I made
  sure every deployment stayed within the terms of the authority.
body: I worked with the undercover unit manager and to the National Undercover Working Group
  standards throughout.
body: When one operative showed signs of strain I paused deployments, arranged a welfare
  debrief and put a phased return in place.

[supervising]
keys: supervising others
area: supervising serious crime investigators
open: {as_role} I supervise a team of {n} investigators on serious crime, including cases
  that rely on undercover and other covert tactics.
open: For the last {yrs} years I have supervised investigators on {team}, and {op} has been
  the most complex case so far.
body: I allocate work against experience and development needs, review investigation plans
  weekly and check that actions are recorded on HOLMES.
body: I hold regular one to ones and use them to pick up welfare as well as performance,
  particularly for officers exposed to distressing material.
body: When a covert tactic was proposed I made sure the team understood the legal and
  ethical limits before any deployment took place.

[online]
keys: online
area: online serious crime investigation
open: I have worked on online investigations for {yrs} years, including {op}, which targeted
  offenders sharing indecent images of children on encrypted platforms.
open: On {op} the key evidence was digital, and I led the work with the Digital Forensic Unit
  and the Regional Cyber Crime Unit.
body: I understand how offenders use anonymising software and encrypted messaging, and how
  to capture open source material lawfully and in an evidential format.
body: I managed the triage of seized devices so that children at risk were identified and
  safeguarded first.
body: I keep up to date through NCA training and the regional online investigators forum.

[welfare]
keys: welfare
area: welfare and health and safety in covert work
open: Welfare is at the centre of how I run a covert team, because the work carries real
  psychological and physical risk.
open: On {op} I completed the operational risk assessment and reviewed it before every
  deployment.
body: I make sure that everyone exposed to indecent imagery has the mandatory psychological
  screening, and I refer officers to occupational health early.
body: I arranged a TRiM assessment after a critical incident and followed it up with the
  officers involved.
body: I make sure that lone working, vehicle checks and safe exit plans are in place and
  understood by everyone deployed.

[managerial]
keys: managerial
area: supervisory and managerial work
open: I have line managed {n} officers and two police staff investigators, and I am
  responsible for their performance reviews and development plans.
open: {as_role} I manage the rota, the overtime budget and the equipment for {team}.
body: I set clear objectives, review progress monthly and deal with underperformance early
  and fairly.
body: I brought overtime back within budget by planning deployments further ahead and sharing
  resources with the neighbouring team.
body: I managed a long term sickness case through to a supported return to work, working with
  HR and occupational health.

[soc]
keys: organised crime investigation; serious and organised crime
area: serious and organised crime investigation
open: {as_role} on {op}, a {months} month investigation into {crime} around {place}, I was
  responsible for the day to day running of the enquiry team.
open: Since joining {team} I have worked almost entirely on serious and organised crime, most
  recently on {op}, which targeted {crime}.
body: I built the subject profiles with the intelligence cell, prioritised lines of enquiry
  against the hierarchy of the group and kept the decision log current for the SIO.
body: We used telephone data, ANPR and financial investigation to evidence the conspiracy,
  and I coordinated the arrest phase across {n} addresses.
body: I worked with {partner} so that cash seizures and restraint orders ran alongside the
  criminal case.
body: I made sure safeguarding referrals were made for the vulnerable people exploited by
  the group, which the CPS later relied on at sentencing.

[emotional]
keys: emotionally aware
area: emotional awareness
open: On {op} one of my DCs became withdrawn after viewing distressing material, and I
  noticed the change before anyone raised it with me.
body: I spoke to him privately, listened without judgement and arranged support through
  occupational health while adjusting his workload.
body: I try to understand how my own behaviour affects the team, and I ask for feedback after
  difficult jobs.
body: I consider the impact of our work on victims and their families, and I make sure the
  team does too.

[ownership]
keys: ownership
area: taking ownership
open: When a disclosure error came to light on {op} I took responsibility for it rather than
  looking for someone to blame.
body: I reported it to the CPS, put a corrective plan in place and changed how the team logs
  unused material.
body: I follow tasks through to completion and keep my commitments to colleagues and
  partners.
body: I hold myself and the team to account for the quality of our work, and I act on the
  learning from reviews.

[collaborate]
keys: collaborate
area: collaboration
open: On {op} I brought together officers from {force}, {partner} and the local authority to
  tackle a network that crossed force boundaries.
body: I set up a shared intelligence cell and a weekly partnership meeting so that each agency
  knew what the others were doing.
body: I build working relationships before they are needed, so that partners will help at
  short notice.
body: When partners disagree I look for common ground and a shared objective rather than
  forcing my own view.

[inspire]
keys: deliver, support; inspire
area: delivering, supporting and inspiring
open: I set a clear direction for the team on {op} and explained how each role contributed
  to the outcome.
body: I recognise good work publicly and give honest feedback in private, and two of my DCs
  have since passed their sergeant exams.
body: I model the standards I expect, and I stay with the team through the long days rather
  than leaving them to it.
body: I keep the team focused on the people we protect, particularly when the work is slow
  or frustrating.

[analyse]
keys: analyse critically
area: critical analysis
open: On {op} the early intelligence pointed to one address, but when I analysed the call
  data and ANPR it did not support that picture.
body: I challenged the assumption, tested other hypotheses with the analyst and we found the
  real storage location.
body: I weigh the reliability of information before acting on it and record why I have
  discounted any line of enquiry.
body: I use the National Decision Model to structure complex decisions, particularly under
  time pressure.

[innovative]
keys: innovative
area: innovation and open mindedness
open: I introduced a shared tracker for authority reviews on {team}, which ended missed review
  dates entirely.
body: I am open to new approaches, and I asked the newest DC on the team to lead a trial of a
  new digital triage tool.
body: When a tactic is not working I am willing to change it, and I look at how other forces
  and agencies have solved similar problems.
body: I actively seek out different views, including from police staff and partners, before
  settling on a plan.

[cpd]
keys: continuous professional development
area: my continuous professional development
open: I keep a CPD log and have completed PIP2 accreditation, the sergeant pre promotion
  programme and a covert investigation module.
body: I passed the sergeant legal exam in {year} and have since acted up whenever the
  opportunity arose.
body: I seek feedback after each acting period and use it to set my development objectives.
body: I read the College of Policing updates and the APP changes relevant to my work and
  share them with the team.

[leadership]
keys: leadership and management; maximising potential
area: leadership and management
open: I have acted as DS on {team} for a total of {months} months, supervising {n} DCs.
body: I allocate work, review investigations and hold the team to account, while supporting
  their development.
body: During my acting period I dealt with a performance issue informally and the officer
  improved within a month.
body: I encourage others to learn, giving them clear and direct feedback on their
  performance, and two of my team are now on the PIP2 programme.

[race]
keys: race and diversity; diversity and inclusion; human rights
area: diversity and inclusion
open: I mentor officers from under represented groups through the force positive action
  programme.
body: I challenged exclusionary banter in the office and made sure our meetings suit
  colleagues with caring responsibilities.
body: I worked with the Independent Advisory Group on {op} to understand community concerns
  before the arrest phase.
body: I treat colleagues and the public with dignity and respect, and I am sensitive to
  social, cultural and racial differences in how people experience policing.

[briefing]
keys: debrief
area: briefing, tasking and debriefing
open: I regularly deliver intelligence led briefings in the IIMARCH format for arrest and
  search phases.
body: On {op} I briefed {many} officers before a dawn strike on {n} addresses.
body: I debrief after every operational phase, capture the learning and feed new intelligence
  back into the system.
body: I make sure every tasking is clear, proportionate and recorded, so that officers know
  what is expected and why.

[operations]
keys: monitor and; plan policing operations; policing operations
area: planning and running police operations
open: I wrote the operational order for {op} and managed the resources on the day, including
  search teams and exhibits officers.
body: I monitored progress from the control room and adjusted deployments when one subject
  was not at the expected address.
body: Afterwards I led the post operational debrief and shared the learning with the wider
  team.
body: I make sure every plan is ethical, proportionate and risk assessed, with a clear
  contingency.

[incidents]
keys: incidents
area: supervising the response to incidents
open: I was the initial supervisor at a serious assault at {place}, where I set up cordons, a
  scene log and early evidence capture.
body: I declared a critical incident when the community impact became clear and briefed the
  on call Superintendent.
body: I recorded my decisions in a policy file and handed over a clear plan to the SIO.

[deputy_sio]
keys: allocated enquiries; deputy sio
area: leading investigations as Team Leader or Deputy SIO
open: I have acted as Deputy SIO on {few} major investigations, including a fatal stabbing
  at {place}.
body: I set the initial lines of enquiry, managed the HOLMES account and kept the policy file
  for the SIO.
body: I make sure every investigation meets the BTP Minimum Standards of Investigation and
  is carried out thoroughly and quickly.

[scene]
keys: scene
area: scene preservation
open: I was first supervisor at a serious assault on a train arriving at {place}, and I had
  the carriage taken out of service and preserved as a scene.
body: I worked with {partner} to balance the impact on the network against the need to
  protect evidence.
body: I appointed a scene log keeper and secured CCTV from the station and from the train.

[interview]
keys: interview
area: supervising the interview process
open: I am a PIP2 investigator and have supervised PEACE interviews of suspects in serious
  cases, including {op}.
body: I review interview plans and recordings and give interviewers specific feedback.
body: I used a Tier 5 interview adviser to develop the strategy for the key suspect on
  {op}.

[quality]
keys: quality of investigations
area: quality assuring investigations
open: I review every crime allocated to my team within 72 hours and agree a clear
  investigation plan with the officer.
body: I check that victims are updated under the Victims Code and that diversity and
  partnership issues are considered.
body: I dip sample files every month and feed the findings back to the team.

[searches]
keys: searches
area: planning and managing searches
open: I planned and supervised Section 18 and warrant searches at {n} addresses on {op}.
body: I made sure search officers were briefed on the powers used, the items sought and the
  exhibit handling process.
body: I reviewed the search records afterwards and dealt with a recording error with the
  officer concerned.

[chis]
keys: covert human intelligence
area: recruiting covert human intelligence sources
open: I am a trained source handler and have recruited two CHIS, both authorised under RIPA.
body: I completed the risk assessment, the recruitment plan and the welfare arrangements with
  the Dedicated Source Unit.
body: I understand the duty of care owed to a source and the limits of what a source may be
  tasked to do.

[intelligence]
keys: use intelligence; intelligence
area: using intelligence
open: On {op} intelligence from the Force Intelligence Bureau identified the lead suspect
  and shaped our priorities.
body: I make sure intelligence is graded correctly, handled ethically and shared through the
  force systems.
body: I use intelligence to target problem locations on the network, working with {partner}.

[reviews]
keys: performance review
area: performance reviews
open: I complete PDRs for {n} officers each year, recognising achievements and identifying
  development needs.
body: I base my assessments on evidence gathered through the year rather than one recent
  event.
body: I agree specific objectives with each officer and review them at every one to one.

[delegate]
keys: delegate
area: delegation
open: On {op} I gave a DC responsibility for the financial strand and supported her through
  her first production orders.
body: I delegate according to skill and development need, and I agree clear deadlines and
  targets.
body: I check progress without taking the work back, and I give credit where it is due.

[develop]
keys: develop individuals; develop the knowledge
area: developing individuals and teams
open: I identify training needs in one to ones and arrange courses, shadowing and mentoring.
body: Two officers I mentored have since gained PIP2 accreditation.
body: I run short inputs at team meetings on new legislation and case law.

[teams]
keys: work of teams; part of a team
area: team working
open: I set team objectives each quarter and monitor performance against them.
body: I hold a weekly team meeting to review caseloads, risks and priorities.
body: I work cooperatively with colleagues across departments and share the workload when
  others are under pressure.

[risk]
keys: threats and risks; risk
area: managing operational risk
open: I complete a risk assessment for every planned operation and review the control
  measures with the team.
body: On {op} I identified a risk to officers from the live railway and arranged a line
  block with Network Rail.
body: I make sure there is a contingency plan for every foreseeable risk.

[disciplinary]
keys: disciplinary; unsatisfactory performance
area: unsatisfactory performance and misconduct procedures
open: I dealt with an officer whose case files were repeatedly late, using the
  unsatisfactory performance procedures fairly and with HR advice.
body: The officer improved and the matter was closed at the first stage.
body: I act promptly and within my own level of authority when performance falls below
  standard.

[grievance]
keys: grievance
area: handling grievances
open: I investigated a grievance between two team members, interviewing both sensitively and
  following the force procedure.
body: I reached a resolution that both accepted and monitored the working relationship
  afterwards.

[retain]
keys: retain personnel
area: retaining staff from all communities
open: I supported a colleague through the reasonable adjustments process so that she could
  stay in the team.
body: I make sure flexible working requests are considered fairly and promptly.
body: I encourage colleagues to join the staff support networks.

[case_files]
keys: case files
area: quality assuring case files
open: I quality assure every file before it goes to the CPS, checking the MG forms, the
  evidence and the disclosure schedules.
body: The file quality scores for my team are consistently above the force average.

[first_aid]
keys: first aid
area: first aid
open: I hold a current first aid certificate and gave first aid to a stabbing victim at
  {place} until paramedics arrived.
body: I make sure the first aid training of my team is up to date.

[health_safety]
keys: health and safety
area: health and safety
open: I make sure the team understand the particular hazards of working on or near the
  railway, including the track access rules.
body: I report near misses and make sure they are acted on.

[admin]
keys: administration
area: administration
open: I keep my records accurate and up to date, including duty states, overtime and
  exhibits.
body: I complete administrative tasks promptly so that they do not build up.

[standards]
keys: professional practice
area: professional standards
open: I follow the Code of Ethics and the force values, and I organise my own work to meet
  the demands of the role.
body: I identify my own development needs and act on them.

[technology]
keys: technology
area: using technology
open: I use Niche, HOLMES and the intelligence system every day, and I have trained
  colleagues on digital evidence management.
body: I make sure devices are used in line with data protection requirements.

[customer]
keys: customer focus; community
area: community and customer focus
open: I see things from the point of view of victims and passengers, and I encourage the team
  to do the same.
body: I built a working relationship with station staff and the community at {place}.

[effective_comm]
keys: effective communication; communication
area: communication
open: I speak clearly and concisely and avoid jargon, particularly when updating victims and
  families.
body: I listen carefully to understand, and I check that my briefings have been understood.

[problem]
keys: problem solving
area: problem solving
open: I gather information from a range of sources to understand a problem, making sure it is
  reliable and accurate.
body: On {op} I identified the risks and considered alternative courses of action before
  deciding how to proceed.

[planning]
keys: planning and organising
area: planning and organising
open: I plan my work and that of the team in an orderly and well structured way.
body: I prioritise tasks, use time well and work within policy and procedure.

[resilience]
keys: resilience
area: resilience
open: I stay calm and confident in difficult situations, and I respond logically and
  decisively.
body: On {op} I kept the team focused through a long and difficult trial.

[a3]
keys: a3 course
yes: A3 course completed in {month} {year}; the certificate is on my training record.
yes: Completed the A3 course in {month} {year}.
no: Not yet completed. I am booked on the next available course in {month} 2027.

[generic]
keys:
area: {area}
open: This is a regular part of my work on {team}, and I took responsibility for it on {op}.
body: I make sure it is done in line with force policy, the relevant legislation and APP.
body: I regularly review how the team approaches this and act on any gaps I find.
yes: I confirm this.
"""

GENERIC_SENTENCES = {
    "result": (
        "The investigation led to {n} people being charged, and all of them pleaded guilty "
        "before trial.",
        "The operation led to the seizure of {kilos} kilograms of cocaine and more than "
        "£{cash} in cash.",
        "My DI recorded the outcome in my PDR as an example of good practice.",
        "The approach was later adopted across {team}.",
        "The principal offenders received sentences totalling {years} years at {court} Crown "
        "Court.",
        "The victims told us they felt listened to and kept informed throughout.",
        "Several linked investigations were opened as a result of the intelligence we gathered.",
        "The case was later used as a training example on the regional investigators course.",
    ),
    "supervise": (
        "I kept my DI informed throughout and recorded my decisions in the policy file.",
        "I made sure everyone on the team understood their role and the reasons behind the plan.",
        "I reviewed progress at a daily meeting and changed priorities as new information came in.",
        "I worked closely with {partner} throughout, which saved a great deal of time.",
        "I briefed the team at the start of each phase and checked their understanding before "
        "we moved on.",
        "I made sure decisions were recorded at the time, with the information available and "
        "the options considered.",
        "Where the team disagreed I listened to each view before deciding, and I explained my "
        "reasons.",
    ),
    "reflect": (
        "Looking back, I would involve the CPS even earlier, and I have done so on every case "
        "since.",
        "This taught me the value of planning for the unexpected.",
        "I have since shared this approach with colleagues at a team training day.",
        "I believe this experience has prepared me well for the responsibilities of this role.",
        "It reinforced for me how much depends on clear planning and honest communication.",
        "I continue to apply this learning in my current role.",
        "The feedback from my DI and from colleagues has helped me to keep improving.",
    ),
    "limited_open": (
        "My experience of {area} is limited, as I have mostly supported others rather than "
        "leading this work.",
        "I assisted with {area} on {op} under the direction of an experienced colleague.",
        "I have some exposure to {area}, mainly as a member of the team on {op}.",
    ),
    "limited": (
        "This is a development area for me and I have discussed it with my line manager.",
        "I have read the relevant guidance and would welcome the opportunity to build on it.",
        "I have asked to shadow a more experienced supervisor so that I can develop further.",
        "I recognise that I need more practical experience before I could lead this myself.",
    ),
    "none": (
        "I have not yet had direct experience of {area}.",
        "I have not had the opportunity to develop {area} so far.",
    ),
}


@dataclass
class Topic:
    name: str
    keys: tuple[str, ...]
    area: str = ""
    open: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    yes: list[str] = field(default_factory=list)
    no: list[str] = field(default_factory=list)


def parse_bank(text: str) -> list[Topic]:
    topics: list[Topic] = []
    last: list[str] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("  "):
            assert last is not None
            last[-1] += " " + line.strip()
        elif line.startswith("["):
            topics.append(Topic(line.strip("[]"), ()))
        else:
            kind, _, value = line.partition(":")
            value = value.strip()
            topic = topics[-1]
            if kind == "keys":
                topic.keys = tuple(k.strip() for k in value.split(";") if k.strip())
            elif kind == "area":
                topic.area = value
            else:
                last = getattr(topic, kind)
                last.append(value)
    return topics


TOPICS = parse_bank(BANK)


def topic_for(text: str) -> Topic:
    low = text.lower()
    for t in TOPICS:
        if any(k in low for k in t.keys):
            return t
    return TOPICS[-1]


# =============================================================================================
# Role files (read with tomllib, interpreted as SPEC.md says)
# =============================================================================================


def norm(value: str) -> str:
    """A rating or field value as compared by `shortlist`: case and white space ignored."""
    return re.sub(r"\s+", "", value).casefold()


@dataclass(frozen=True)
class Scale:
    name: str
    levels: tuple[str, ...]
    points: tuple[Fraction, ...]
    aliases: tuple[tuple[str, str], ...]

    def lookup(self, text: str) -> int | None:
        """The level `text` names: labels win over aliases, aliases over point values."""
        key = norm(text)
        for i, label in enumerate(self.levels):
            if norm(label) == key:
                return i
        for alias, target in self.aliases:
            if norm(alias) == key:
                return self.levels.index(target)
        for i, p in enumerate(self.points):
            spellings = {fmt_points(p)} | ({f"{int(p)}.0"} if p.denominator == 1 else set())
            if key in {norm(s) for s in spellings}:
                return i
        return None


def fmt_points(p: Fraction) -> str:
    return str(p.numerator) if p.denominator == 1 else f"{float(p):g}"


YES_NO = Scale(
    "yes_no",
    ("No", "Yes"),
    (Fraction(0), Fraction(1)),
    (("n", "No"), ("false", "No"), ("y", "Yes"), ("true", "Yes")),
)


@dataclass(frozen=True)
class Criterion:
    id: str
    section: str
    text: str
    kind: str
    scale: Scale
    pass_idx: int | None
    weight: Fraction
    evidence: str
    word_limit: int | None
    applies_field: str | None
    applies_values: tuple[str, ...]

    @property
    def essential(self) -> bool:
        return self.kind == "essential"

    @property
    def top(self) -> int:
        return len(self.scale.levels) - 1

    def applies(self, fields: dict[str, str]) -> bool:
        if self.applies_field is None:
            return True
        value = fields.get(self.applies_field)
        return value is not None and norm(value) in {norm(v) for v in self.applies_values}


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    monitoring: bool
    values: tuple[str, ...] | None


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    organisation: str
    size: int
    min_score: Fraction
    tie_break: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    fields: tuple[FieldDef, ...]
    builtin_labels: dict[str, str]
    context: str

    @property
    def short_org(self) -> str:
        m = re.search(r"\(([A-Z]{2,})\)", self.organisation)
        return m.group(1) if m else (self.organisation or self.title)


def load_role(path: Path) -> Role:
    data = tomllib.loads(path.read_text("utf-8"))
    meta, sl = data["role"], data.get("shortlist", {})
    scales = {"yes_no": YES_NO}
    for name, t in data.get("scales", {}).items():
        levels = tuple(t["levels"])
        points = tuple(Fraction(str(p)) for p in t.get("points", range(len(levels))))
        scales[name] = Scale(name, levels, points, tuple(t.get("aliases", {}).items()))
    default_limit = sl.get("word_limit")
    criteria = []
    for c in data["criteria"]:
        scale = scales[c["scale"]]
        cond = c.get("applies_if") or {}
        pass_label = c.get("pass")
        criteria.append(
            Criterion(
                id=c["id"],
                section=c["section"],
                text=" ".join(c["text"].split()),
                kind=c["kind"],
                scale=scale,
                pass_idx=None if pass_label is None else scale.lookup(pass_label),
                weight=Fraction(str(c.get("weight", 1))),
                evidence=c.get("evidence", "optional"),
                word_limit=c.get("word_limit", default_limit),
                applies_field=cond.get("field"),
                applies_values=tuple(cond.get("in", ())),
            )
        )
    builtin = {
        "applicant_id": "Applicant ID",
        "name": "Name",
        "guaranteed_interview": "Guaranteed interview",
    }
    fields = []
    for f in data.get("fields", []):
        if f["name"] in builtin:
            builtin[f["name"]] = f.get("label", builtin[f["name"]])
            continue
        label = f.get("label", f["name"].replace("_", " ").capitalize())
        values = tuple(f["values"]) if f.get("values") else None
        fields.append(FieldDef(f["name"], label, bool(f.get("monitoring", False)), values))
    org = meta.get("organisation", "")
    rail = "british transport" in (org + meta["title"]).lower() or meta["id"].startswith("btp")
    return Role(
        id=meta["id"],
        title=meta["title"],
        organisation=org,
        size=int(sl.get("size", 10)),
        min_score=Fraction(str(sl.get("min_score", 0))),
        tie_break=tuple(sl.get("tie_break", ["desirable"])),
        criteria=tuple(criteria),
        fields=tuple(fields),
        builtin_labels=builtin,
        context="rail" if rail else "regional",
    )


@dataclass(frozen=True)
class Picks:
    """The criteria each scenario uses, chosen from the role by position."""

    graded: tuple[Criterion, ...]  # essential, unconditional, pass above the lowest level
    evidenced: tuple[Criterion, ...]  # graded with evidence = "required"
    gates: tuple[Criterion, ...]  # essential, unconditional, two levels (yes/no)
    stepup: tuple[Criterion, ...]  # essential with applies_if
    desirable: tuple[Criterion, ...]  # desirable with weight > 0
    desirable_req: tuple[Criterion, ...]
    stepup_field: str | None
    stepup_values: tuple[str, ...]

    @classmethod
    def of(cls, role: Role) -> Picks:
        cs = role.criteria
        graded = tuple(
            c
            for c in cs
            if c.essential
            and c.applies_field is None
            and (c.pass_idx or 0) > 0
            and len(c.scale.levels) > 2
        )
        stepup = tuple(
            c for c in cs if c.essential and c.applies_field is not None and (c.pass_idx or 0) > 0
        )
        desirable = tuple(c for c in cs if not c.essential and c.weight > 0)
        return cls(
            graded=graded,
            evidenced=tuple(c for c in graded if c.evidence == "required"),
            gates=tuple(
                c
                for c in cs
                if c.essential
                and c.applies_field is None
                and len(c.scale.levels) == 2
                and c.pass_idx == 1
            ),
            stepup=stepup,
            desirable=desirable,
            desirable_req=tuple(c for c in desirable if c.evidence == "required"),
            stepup_field=stepup[0].applies_field if stepup else None,
            stepup_values=stepup[0].applies_values if stepup else (),
        )


def pick(seq: tuple[Criterion, ...], i: int) -> Criterion | None:
    return seq[i % len(seq)] if seq else None


# =============================================================================================
# Scoring, as SPEC.md defines it
# =============================================================================================


@dataclass
class Applicant:
    aid: str
    name: str
    female: bool
    ethnic: str
    scenario: str
    fields: dict[str, str] = field(default_factory=dict)
    gis: bool = False
    email: str = ""
    submitted: str = ""
    ops: tuple[str, str] = ("", "")
    force_idx: int = 0
    strength: float = 0.5
    levels: dict[str, int | None] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def rating_cell(self, c: Criterion) -> Any:
        if c.id in self.cells:
            return self.cells[c.id]
        lvl = self.levels.get(c.id)
        return None if lvl is None else c.scale.levels[lvl]


Key = tuple[Fraction, ...]


@dataclass
class Outcome:
    met: bool
    score: Fraction
    desirable: Fraction | None
    essential: Fraction | None
    failures: list[str]
    flags: list[tuple[str, str]]
    key: tuple[Fraction, ...] = ()
    rank: int | None = None
    shortlisted: bool = False
    status: str = ""


def words(text: str) -> int:
    return len(text.split())


def assess(role: Role, a: Applicant) -> Outcome:
    num = den = dnum = dden = enum = eden = Fraction(0)
    failures: list[str] = []
    flags: list[tuple[str, str]] = []
    by_id: dict[str, Fraction] = {}
    for c in role.criteria:
        if not c.applies(a.fields):
            continue
        lvl = a.levels.get(c.id)
        ev = a.evidence.get(c.id, "")
        if c.word_limit and words(ev) > c.word_limit:
            flags.append((c.id, "over_word_limit"))
        eff = lvl
        if lvl is not None and lvl > 0 and c.evidence == "required" and not ev.strip():
            eff = 0
            flags.append((c.id, "unevidenced"))
        if c.essential and (eff is None or eff < (c.pass_idx or 0)):
            failures.append(c.id)
        if c.weight > 0:
            p = Fraction(0) if eff is None else c.scale.points[eff]
            top = c.scale.points[-1]
            num, den = num + c.weight * p, den + c.weight * top
            by_id[c.id] = c.weight * p
            if c.essential:
                enum, eden = enum + c.weight * p, eden + c.weight * top
            else:
                dnum, dden = dnum + c.weight * p, dden + c.weight * top
    score = 100 * num / den if den else Fraction(0)
    des = 100 * dnum / dden if dden else None
    ess = 100 * enum / eden if eden else None
    out = Outcome(not failures, score, des, ess, failures, flags)
    low = Fraction(-1)
    tie = {"desirable": low if des is None else des, "essential": low if ess is None else ess}
    out.key = (score, *(tie.get(k, by_id.get(k, low)) for k in role.tie_break))
    return out


def rank_all(role: Role, people: list[Applicant]) -> dict[str, Outcome]:
    outs = {a.aid: assess(role, a) for a in people}
    ranked = sorted(
        (a for a in people if outs[a.aid].met),
        key=lambda a: (tuple(-k for k in outs[a.aid].key), a.aid),
    )
    prev: tuple[Fraction, ...] | None = None
    rank = 0
    for i, a in enumerate(ranked, 1):
        o = outs[a.aid]
        if o.key != prev:
            rank, prev = i, o.key
        o.rank = rank
        o.shortlisted = (rank <= role.size and o.score >= role.min_score) or a.gis
        o.status = "shortlisted" if o.shortlisted else "ranked"
    for a in people:
        if not outs[a.aid].met:
            outs[a.aid].status = "failed_essential"
    return outs


# =============================================================================================
# Evidence writing
# =============================================================================================

PLAIN_TOKEN = re.compile(r"^[A-Za-z0-9]+[.,;]?$")


class Writer:
    """Writes one applicant's evidence from the phrase banks."""

    def __init__(self, role: Role, rng: random.Random, a: Applicant):
        self.role, self.rng, self.a = role, rng, a
        self.ctx = CONTEXTS[role.context]

    def values(self, area: str) -> dict[str, str]:
        r, ctx, a = self.rng, self.ctx, self.a
        return {
            "as_role": r.choice(as_role_phrases(self.rank())),
            "op": f"Operation {a.ops[0]}",
            "place": r.choice(ctx["place"]),
            "court": r.choice(ctx["court"]),
            "team": r.choice(ctx["team"]),
            "crime": r.choice(ctx["crime"]),
            "force": ctx["force"][a.force_idx],
            "partner": r.choice(ctx["partner"]),
            "n": r.choice(NUMBER_WORDS),
            "few": r.choice(("three", "four", "five", "six")),
            "many": r.choice(("40", "50", "60", "70")),
            "months": r.choice(("nine", "twelve", "fourteen", "eighteen", "twenty")),
            "weeks": r.choice(("six", "eight", "eleven", "twelve")),
            "yrs": r.choice(("three", "four", "five", "six", "eight", "ten")),
            "years": str(r.randint(24, 96)),
            "kilos": str(r.randint(8, 60)),
            "cash": f"{r.randint(6, 48) * 10},000",
            "month": r.choice(MONTHS),
            "year": str(r.randint(2018, 2025)),
            "area": area,
        }

    def rank(self) -> str:
        for k, v in self.a.fields.items():
            if "rank" in k:
                return v
        return "Detective Sergeant"

    def area(self, c: Criterion, t: Topic) -> str:
        if t.name != "generic":
            return t.area
        return c.text.rstrip(".").split(",")[0].lower()

    def candidates(self, c: Criterion, kind: str) -> list[str]:
        """Sentences, in a natural order, for a rating of this kind: none, limited, full, or
        long (everything available, for over-limit and exact-length evidence)."""
        t = topic_for(c.text)
        vals = self.values(self.area(c, t))
        r = self.rng
        if kind == "none":
            return [r.choice(GENERIC_SENTENCES["none"]).format_map(vals)]
        if kind == "limited":
            lim = list(GENERIC_SENTENCES["limited"])
            r.shuffle(lim)
            first = r.choice(GENERIC_SENTENCES["limited_open"])
            return [s.format_map(vals) for s in [first, *lim]]
        opens = list(t.open)
        r.shuffle(opens)
        body = list(t.body)
        r.shuffle(body)
        g = GENERIC_SENTENCES
        if kind == "full":
            tail = [
                *r.sample(g["supervise"], 2),
                *r.sample(g["result"], 2),
                *r.sample(g["reflect"], 1),
            ]
            r.shuffle(tail)
            return [s.format_map(vals) for s in [*opens[:1], *body, *tail]]
        tail = [*g["supervise"], *g["result"]]
        r.shuffle(tail)
        reflect = list(g["reflect"])
        r.shuffle(reflect)
        return [s.format_map(vals) for s in [*opens[:1], *body, *tail, *opens[1:], *reflect]]

    def write(self, c: Criterion, kind: str, lo: int, hi: int, strict: bool = False) -> str:
        """Whole sentences totalling lo..hi words; unless strict, fewer (>= 30) will do when a
        sparse topic has no more to say."""
        for _ in range(40):
            chosen: list[str] = []
            total = 0
            for s in self.candidates(c, kind):
                if total >= lo:
                    break
                if total + words(s) <= hi:
                    chosen.append(s)
                    total += words(s)
            if total >= lo or (not strict and chosen and (total >= 30 or kind != "full")):
                return " ".join(chosen)
        raise Retry(f"could not write {lo}-{hi} words for {c.id}")

    def exactly(self, c: Criterion, n: int) -> str:
        """Exactly n words that every word counter agrees on (no hyphens, no lone symbols)."""
        for _ in range(200):
            pool = [
                s
                for s in self.candidates(c, "long")
                if all(PLAIN_TOKEN.match(w) for w in s.split())
            ]
            reach: dict[int, list[int]] = {0: []}
            for i, s in enumerate(pool):
                for total, idx in list(reach.items()):
                    t = total + words(s)
                    if t <= n and t not in reach:
                        reach[t] = [*idx, i]
            if n in reach:
                return " ".join(pool[i] for i in reach[n])
        raise Retry(f"could not write exactly {n} words for {c.id}")

    def yes_no(self, c: Criterion, yes: bool) -> str:
        t = topic_for(c.text)
        options = (t.yes if yes else t.no) or (TOPICS[-1].yes if yes else [])
        return self.rng.choice(options).format_map(self.values("")) if options else ""


def as_role_phrases(rank: str) -> tuple[str, ...]:
    r = rank.lower()
    if "detective sergeant" in r:
        return ("As DS", "As the DS")
    if "sergeant" in r:
        return ("As a PS", "As the supervising sergeant")
    if "constable" in r:
        return ("As acting DS", "While acting up as DS", "As acting sergeant")
    return ("As the supervisor", "In my current role")


# =============================================================================================
# Building applicants
# =============================================================================================


class Retry(Exception):
    """The random draw missed an intended outcome; build again from the next derived seed."""


class NamePool:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def draw(self) -> tuple[str, bool, str]:
        r = self.rng
        while True:
            group = r.choices(NAME_GROUPS, weights=[g[0] for g in NAME_GROUPS])[0]
            female = r.random() < 0.45
            first = r.choice(group[1 if female else 2].split())
            surnames = group[3].split()
            if r.random() < 0.08:  # married or mixed-heritage surnames
                surnames = r.choice(NAME_GROUPS)[3].split()
            name = f"{first} {r.choice(surnames)}"
            ethnic = group[4] if r.random() > 0.08 else "Mixed"
            if name not in self.used:
                self.used.add(name)
                return name, female, ethnic


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class Factory:
    def __init__(self, role: Role, rng: random.Random, names: NamePool):
        self.role, self.rng, self.names = role, rng, names
        self.picks = Picks.of(role)
        self.ctx = CONTEXTS[role.context]

    # ---- identity and fields ----------------------------------------------------------------

    def person(self, aid: str, scenario: str) -> Applicant:
        r = self.rng
        name, female, ethnic = self.names.draw()
        a = Applicant(aid, name, female, ethnic, scenario)
        a.ops = tuple(r.sample(OPERATIONS, 2))  # type: ignore[assignment]
        a.force_idx = r.randrange(len(self.ctx["force"]))
        a.strength = r.random()
        self.set_contact(a)
        return a

    def set_contact(self, a: Applicant) -> None:
        r = self.rng
        first, *rest = ascii_fold(a.name).lower().replace("'", "").split()
        last = "".join(rest).replace("-", "")
        a.email = f"{first}.{last}@{self.ctx['domain'][a.force_idx]}"
        day = r.randint(19, 31) if r.random() < 0.6 else r.randint(1, 9)
        month = 10 if day >= 19 else 11
        a.submitted = f"2026-{month:02d}-{day:02d} {r.randint(7, 23):02d}:{r.randint(0, 59):02d}"

    def set_fields(self, a: Applicant, stepup: bool | None) -> None:
        """Field values; stepup True/False forces the applies_if field in or out of its set."""
        r, p = self.rng, self.picks
        for f in self.role.fields:
            if f.monitoring:
                a.fields[f.name] = self.monitoring_value(a, f)
                continue
            if f.name == p.stepup_field:
                inside = stepup if stepup is not None else r.random() < 0.3
                allowed = f.values or (*p.stepup_values, "Sergeant", "Detective Sergeant")
                pool = [
                    v for v in allowed if (norm(v) in {norm(x) for x in p.stepup_values}) == inside
                ]
                a.fields[f.name] = r.choice(pool)
            elif f.values:
                a.fields[f.name] = r.choice(f.values)
            else:
                a.fields[f.name] = self.free_text_field(a, f)

    def free_text_field(self, a: Applicant, f: FieldDef) -> str:
        r, n = self.rng, f.name.lower()
        if "rank" in n:
            return r.choice(("Detective Sergeant", "Sergeant", "Detective Constable"))
        if "force" in n:
            return self.ctx["force"][a.force_idx]
        if "collar" in n or "warrant" in n or "number" in n:
            return str(r.randint(1000, 9999))
        if "year" in n or "service" in n:
            return str(r.randint(4, 22))
        if any(k in n for k in ("team", "department", "unit", "role", "post")):
            return r.choice(self.ctx["team"])
        if "location" in n or "base" in n:
            return r.choice(self.ctx["place"])
        return "Not stated"

    def monitoring_value(self, a: Applicant, f: FieldDef) -> str:
        r, n = self.rng, f.name.lower()
        vals = f.values or ("Prefer not to say",)
        prefer = [v for v in vals if "prefer" in v.lower()]

        def like(*words: str) -> list[str]:
            return [v for v in vals if any(w.lower() in v.lower() for w in words)]

        def exact(*words: str) -> list[str]:
            return [v for v in vals if v.casefold() in {w.casefold() for w in words}]

        if r.random() < 0.04:
            return ""
        if r.random() < 0.05 and prefer:
            return prefer[0]
        if "sex" in n or "gender" in n:
            return (
                exact("Female", "Woman", "F")
                if a.female
                else exact("Male", "Man", "M") or [r.choice(vals)]
            )[0]
        if "ethnic" in n:
            return (like(a.ethnic) or [r.choice(vals)])[0]
        if "age" in n:
            weights = {"25": 35, "35": 40, "45": 20, "55": 5}
            options = [v for v in vals if v[:2] in weights]
            if options:
                return r.choices(options, weights=[weights[v[:2]] for v in options])[0]
        if "disab" in n:
            if a.gis:
                return (exact("Yes") or vals)[0]
            yes, no = exact("Yes"), exact("No")
            if yes and no:
                return yes[0] if r.random() < 0.07 else no[0]
        return r.choice(vals)

    # ---- ratings and evidence ----------------------------------------------------------------

    def passing_levels(self, a: Applicant) -> None:
        r = self.rng
        for c in self.role.criteria:
            if not c.applies(a.fields):
                a.levels[c.id] = None
                continue
            lo = (c.pass_idx or 0) if c.essential else 0
            hi = c.top
            if len(c.scale.levels) == 2:
                a.levels[c.id] = hi if c.essential or r.random() < 0.7 else lo
                continue
            x = lo + a.strength * (hi - lo) + r.gauss(0, 0.75 if c.essential else 0.9)
            if not c.essential:
                x = a.strength * hi + r.gauss(0.3, 0.9)
            a.levels[c.id] = max(lo, min(hi, round(x)))

    def fill_evidence(self, a: Applicant) -> None:
        w = Writer(self.role, self.rng, a)
        for c in self.role.criteria:
            lvl = a.levels.get(c.id)
            if c.evidence == "none" or lvl is None:
                a.evidence[c.id] = ""
                continue
            if len(c.scale.levels) == 2:
                text = w.yes_no(c, lvl == 1)
                a.evidence[c.id] = (
                    text if c.evidence == "required" or self.rng.random() < 0.8 else ""
                )
                continue
            limit = c.word_limit or 400
            if lvl == 0:
                a.evidence[c.id] = w.write(c, "none", 5, 40) if self.rng.random() < 0.5 else ""
            elif lvl < (c.pass_idx if c.essential and c.pass_idx else math.ceil(c.top / 2)):
                a.evidence[c.id] = w.write(c, "limited", self.rng.randint(30, 60), 90)
            else:
                lo = self.rng.randint(45, 190)
                a.evidence[c.id] = w.write(c, "full", min(lo, limit - 10), min(200, limit - 5))

    def over_limit(self, a: Applicant, c: Criterion) -> None:
        limit = c.word_limit or 250
        lo = limit + self.rng.randint(15, 50)
        a.evidence[c.id] = Writer(self.role, self.rng, a).write(
            c, "long", lo, limit + 70, strict=True
        )
        a.notes.append(f"{c.id} evidence {words(a.evidence[c.id])} words, limit {limit}")

    # ---- scenarios --------------------------------------------------------------------------

    def adapt(self, scenario: str) -> str:
        """The scenario a slot can exercise in this role (no gates / step-up: substitutes)."""
        p = self.picks
        if not p.stepup:
            if scenario == "fail_stepup":
                return "fail_below_other"
            if scenario.startswith(("stepup_pass", "sergeant_")):
                return "ordinary"
        if not p.gates:
            if scenario == "fail_gate":
                return "fail_below_other"
            if scenario == "forms_yes_no":
                return "ordinary"
        return scenario

    def make(self, aid: str, scenario: str) -> Applicant:
        scenario = self.adapt(scenario)
        a = self.person(aid, scenario)
        p = self.picks
        stepup = None
        if scenario.startswith(("stepup_pass", "fail_stepup")) or scenario == "cutoff_tie_b":
            stepup = True if p.stepup else None
        if scenario.startswith("sergeant_") or scenario in ("cutoff_tie_a", "dtb_hi", "dtb_lo"):
            stepup = False if p.stepup else None
        a.gis = scenario.startswith("gis_")
        self.set_fields(a, stepup)
        if scenario == "gis_pass_low":
            a.strength = 0.0
        self.passing_levels(a)
        getattr(self, "shape_" + scenario, self.shape_ordinary)(a)
        return a

    def finish(self, a: Applicant, blank: tuple[Criterion, ...] = ()) -> None:
        self.fill_evidence(a)
        for c in blank:
            a.evidence[c.id] = ""

    def shape_ordinary(self, a: Applicant) -> None:
        self.finish(a)

    def below(self, a: Applicant, c: Criterion) -> None:
        a.levels[c.id] = (c.pass_idx or 1) - 1
        a.notes.append(
            f'{c.id} rated "{c.scale.levels[a.levels[c.id]]}", needs '
            f'"{c.scale.levels[c.pass_idx or 0]}"'
        )

    def shape_fail_below(self, a: Applicant) -> None:
        c = pick(self.picks.graded, 1)
        if c:
            self.below(a, c)
        self.finish(a)

    def shape_fail_below_other(self, a: Applicant) -> None:
        c = pick(self.picks.graded, 4 + int(a.aid[1:]) % 7)
        if c:
            self.below(a, c)
        self.finish(a)

    def shape_fail_blank(self, a: Applicant) -> None:
        c = pick(self.picks.graded, 2) or self.role.criteria[0]
        a.levels[c.id] = None
        a.notes.append(f"{c.id} left blank: no answer")
        self.finish(a)

    def shape_fail_unevidenced(self, a: Applicant) -> None:
        c = pick(self.picks.evidenced, 0)
        if c is None:
            return self.shape_fail_below(a)
        a.levels[c.id] = c.top
        a.notes.append(
            f'{c.id} rated "{c.scale.levels[c.top]}" with no evidence: counts as '
            f'"{c.scale.levels[0]}", needs "{c.scale.levels[c.pass_idx or 0]}"'
        )
        self.finish(a, blank=(c,))

    def shape_fail_gate(self, a: Applicant) -> None:
        c = pick(self.picks.gates, 0)
        if c is None:
            c = pick(self.picks.graded, 4)
            if c:
                self.below(a, c)
            return self.finish(a)
        a.levels[c.id] = 0
        a.notes.append(f'{c.id} ({c.text.rstrip(".")}) answered "No"')
        self.finish(a)

    def shape_fail_stepup(self, a: Applicant) -> None:
        c = pick(self.picks.stepup, 1)
        if c is None:
            c = pick(self.picks.graded, 5)
        if c:
            self.below(a, c)
            if c.applies_field:
                a.notes.append(f"{c.applies_field} = {a.fields[c.applies_field]}: step-up applies")
        self.finish(a)

    def shape_fail_multi(self, a: Applicant) -> None:
        gate, c = pick(self.picks.gates, -1), pick(self.picks.graded, 3)
        if gate:
            a.levels[gate.id] = 0
            a.cells[gate.id] = "N"
            a.notes.append(f'{gate.id} answered "N" (no)')
        else:
            other = pick(self.picks.graded, 6)
            if other and other is not c:
                self.below(a, other)
        if c:
            self.below(a, c)
        self.finish(a)

    def shape_gis_fail(self, a: Applicant) -> None:
        c = pick(self.picks.graded, -1)
        if c:
            self.below(a, c)
        a.notes.append("claims the guaranteed interview scheme but fails an essential")
        self.finish(a)

    def shape_gis_pass_low(self, a: Applicant) -> None:
        for c in self.role.criteria:
            if a.levels.get(c.id) is None:
                continue
            if c.essential:
                a.levels[c.id] = c.pass_idx or 0
            elif len(c.scale.levels) > 2:
                a.levels[c.id] = self.rng.choice((0, 1, 1))
        a.notes.append("claims the guaranteed interview scheme; every essential exactly at pass")
        self.finish(a)

    def shape_gis_pass(self, a: Applicant) -> None:
        a.notes.append("claims the guaranteed interview scheme; meets every essential")
        self.finish(a)

    def shape_stepup_pass(self, a: Applicant) -> None:
        if self.picks.stepup:
            a.notes.append(
                f"{self.picks.stepup_field} = {a.fields[self.picks.stepup_field]}: "
                "step-up criteria apply and are met"
            )
        self.finish(a)

    def shape_stepup_pass_case(self, a: Applicant) -> None:
        f = self.picks.stepup_field
        if f:
            a.fields[f] = a.fields[f].lower()
            a.notes.append(f"{f} written {a.fields[f]!r} (lower case)")
        self.shape_stepup_pass(a)

    def shape_sergeant_blank_stepup(self, a: Applicant) -> None:
        if self.picks.stepup:
            a.notes.append(
                f"{self.picks.stepup_field} = {a.fields[self.picks.stepup_field]}: "
                "step-up criteria blank and not applicable"
            )
        self.finish(a)

    def shape_sergeant_low_stepup(self, a: Applicant) -> None:
        for i, c in enumerate(self.picks.stepup):
            a.levels[c.id] = (c.pass_idx or 1) - (1 if i % 2 == 0 else 0)
        if self.picks.stepup:
            a.notes.append(
                f"{self.picks.stepup_field} = {a.fields[self.picks.stepup_field]}: "
                "answered step-up criteria, some below pass, not applicable"
            )
        self.finish(a)

    def shape_over_limit(self, a: Applicant) -> None:
        c = pick(self.picks.graded, 0) or self.role.criteria[0]
        a.levels[c.id] = c.top
        self.finish(a)
        self.over_limit(a, c)

    def shape_over_limit_two(self, a: Applicant) -> None:
        cs = [c for c in (pick(self.picks.desirable, -1), pick(self.picks.graded, -2)) if c]
        for c in cs:
            a.levels[c.id] = c.top
        self.finish(a)
        for c in cs:
            self.over_limit(a, c)

    def shape_at_limit(self, a: Applicant) -> None:
        c = pick(self.picks.graded, 2) or self.role.criteria[0]
        a.levels[c.id] = c.top
        self.finish(a)
        limit = c.word_limit or 250
        a.evidence[c.id] = Writer(self.role, self.rng, a).exactly(c, limit)
        a.notes.append(f"{c.id} evidence exactly {limit} words (= limit): no flag")

    def shape_unevidenced_desirable(self, a: Applicant) -> None:
        c = pick(self.picks.desirable_req, 1) or pick(self.picks.desirable, 1)
        if c is None:
            return self.finish(a)
        a.levels[c.id] = c.top
        self.finish(a, blank=(c,))
        flag = (
            "flagged unevidenced, counts as lowest"
            if c.evidence == "required"
            else ("evidence optional: no flag")
        )
        a.notes.append(f'{c.id} (desirable) "{c.scale.levels[c.top]}" with no evidence: {flag}')

    def shape_monitoring_declined(self, a: Applicant) -> None:
        for f in self.role.fields:
            if f.monitoring:
                prefer = [v for v in f.values or () if "prefer" in v.lower()]
                a.fields[f.name] = prefer[0] if prefer and self.rng.random() < 0.7 else ""
        a.notes.append("equality monitoring declined or left blank")
        self.shape_forms_alias(a)

    def shape_multiline_quotes(self, a: Applicant) -> None:
        self.finish(a)
        c = pick(self.picks.graded, 0) or self.role.criteria[0]
        a.levels[c.id] = c.top
        text = Writer(self.role, self.rng, a).write(c, "full", 90, 160)
        sentences = re.split(r"(?<=\.) ", text)
        half = max(1, len(sentences) // 2)
        a.evidence[c.id] = (
            " ".join(sentences[:half]) + "\n\nThe trial judge described the "
            'investigation as "thorough, fair and meticulous", which I shared '
            "with the team.\n" + " ".join(sentences[half:])
        )
        a.notes.append(f"{c.id} evidence has line breaks, double quotes and commas")

    def shape_accented_name(self, a: Applicant) -> None:
        options = [n for n in ACCENTED_NAMES if n[0] not in self.names.used]
        a.name, a.female, a.ethnic = options[0]
        self.names.used.add(a.name)
        self.set_contact(a)
        a.notes.append(f"accented name {a.name!r}")
        self.finish(a)

    # ---- rating spellings the reader must accept ---------------------------------------------

    def usable_aliases(self, c: Criterion) -> list[tuple[str, int]]:
        out = []
        for alias, target in c.scale.aliases:
            idx = c.scale.levels.index(target)
            if c.scale.lookup(alias) == idx and (not c.essential or idx >= (c.pass_idx or 0)):
                out.append((alias, idx))
        return out

    def point_spellable(self, c: Criterion, idx: int, text: str) -> bool:
        return c.scale.lookup(text) == idx and norm(text) != norm(c.scale.levels[idx])

    def scored_rated(self, a: Applicant) -> list[Criterion]:
        return [
            c
            for c in self.role.criteria
            if a.levels.get(c.id) is not None and len(c.scale.levels) > 2
        ]

    def shape_forms_lower_spaces(self, a: Applicant) -> None:
        cs = self.scored_rated(a)
        for c in cs[:1]:
            a.levels[c.id] = c.top
            label = c.scale.levels[c.top]
            a.cells[c.id] = label.lower() if label.lower() != label else label.upper()
            a.notes.append(f"{c.id} written {a.cells[c.id]!r}")
        rated = [c for c in cs[1:] if a.levels[c.id]]
        for c in rated[len(rated) // 2 : len(rated) // 2 + 1]:
            a.cells[c.id] = "  " + c.scale.levels[a.levels[c.id] or 0] + "  "
            a.notes.append(f"{c.id} written {a.cells[c.id]!r} (stray spaces)")
        self.finish(a)

    def shape_forms_alias(self, a: Applicant) -> None:
        seen: set[str] = set()
        for c in self.scored_rated(a):
            options = self.usable_aliases(c)
            if c.scale.name in seen or not options:
                continue
            alias, idx = max(options, key=lambda o: (o[1], o[0]))
            a.levels[c.id], a.cells[c.id] = idx, alias
            a.notes.append(f"{c.id} written {alias!r} (alias of {c.scale.levels[idx]!r})")
            seen.add(c.scale.name)
        self.finish(a)

    def points_forms(self, a: Applicant, spell: Any) -> None:
        seen: set[str] = set()
        for c in self.scored_rated(a):
            if c.scale.name in seen or len(seen) >= 2:
                continue
            idx = c.top if not seen else (c.pass_idx if c.essential else a.levels[c.id]) or 0
            value = spell(c.scale.points[idx], len(seen))
            if not self.point_spellable(c, idx, str(value)):
                continue
            a.levels[c.id], a.cells[c.id] = idx, value
            a.notes.append(f"{c.id} written {value!r} (point value of {c.scale.levels[idx]!r})")
            seen.add(c.scale.name)
        self.finish(a)

    def shape_forms_points_numeric(self, a: Applicant) -> None:
        self.points_forms(a, lambda p, i: int(p) if p.denominator == 1 else float(p))

    def shape_forms_points_text(self, a: Applicant) -> None:
        self.points_forms(
            a, lambda p, i: fmt_points(p) + (".0" if i and p.denominator == 1 else "")
        )

    def shape_forms_yes_no(self, a: Applicant) -> None:
        spellings = ("Y", True, "true", "yes", "TRUE")
        gates = [
            c
            for c in self.role.criteria
            if len(c.scale.levels) == 2 and a.levels.get(c.id) == 1 and c.scale is YES_NO
        ]
        for c, s in zip(gates, spellings, strict=False):
            a.cells[c.id] = s
            a.notes.append(f"{c.id} written {s!r}" + (" (a boolean cell)" if s is True else ""))
        self.finish(a)

    # ---- placement of ties ------------------------------------------------------------------

    def levels_key(self, a: Applicant, levels: dict[str, int | None]) -> tuple[Fraction, ...]:
        probe = Applicant(
            a.aid,
            a.name,
            a.female,
            a.ethnic,
            a.scenario,
            fields=a.fields,
            levels=levels,
            evidence={k: "x" for k in levels},
        )
        return assess(self.role, probe).key

    def reroll(
        self, a: Applicant, lo: Key | None, hi: Key | None, avoid: set[Key], people: list[Applicant]
    ) -> None:
        """New passing ratings for an ordinary applicant with lo < key < hi, its key equal to
        no one else's (nor any in avoid)."""
        taken = avoid | {assess(self.role, o).key for o in people if o is not a}
        for _ in range(3000):
            a.strength = self.rng.random()
            self.passing_levels(a)
            k = self.levels_key(a, a.levels)
            if (lo is None or k > lo) and (hi is None or k < hi) and k not in taken:
                self.finish(a)
                return
        raise Retry(f"could not re-roll {a.aid} into ({lo}, {hi})")

    def dedupe(self, people: list[Applicant]) -> None:
        """Re-roll ordinary applicants whose key equals someone else's (no accidental ties)."""
        for a in people:
            if a.scenario != "ordinary":
                continue
            k = assess(self.role, a).key
            if any(assess(self.role, o).key == k for o in people if o is not a):
                self.reroll(a, None, None, set(), people)

    def place_pair(
        self,
        a: Applicant,
        b: Applicant,
        people: list[Applicant],
        rank: int,
        below: Key | None,
        protected: set[Key],
    ) -> Key:
        """Give a (and later its twin b) ratings that rank exactly at `rank`: re-roll ordinary
        applicants so that exactly rank-1 applicants are above and none equal. `below`: the
        pair and every re-rolled applicant stay under this key. Returns the pair's key."""
        others = [o for o in people if o is not a and o is not b]
        for attempt in range(400):
            a.strength = self.rng.random()
            self.passing_levels(a)
            k = self.levels_key(a, a.levels)
            if (below is not None and k >= below) or k in protected:
                continue
            keys = {o.aid: assess(self.role, o) for o in others}
            fixed = [
                keys[o.aid].key for o in others if keys[o.aid].met and o.scenario != "ordinary"
            ]
            movable = [o for o in others if o.scenario == "ordinary"]
            if k in fixed:
                continue
            above = sum(fk > k for fk in fixed) + sum(keys[o.aid].key > k for o in movable)
            if sum(fk > k for fk in fixed) > rank - 1 or (
                attempt < 300 and abs(above - (rank - 1)) > 2
            ):
                continue
            avoid = protected | {k}
            for o in [o for o in movable if keys[o.aid].key == k]:
                self.reroll(o, None, k, avoid, others)
            while True:
                cur = {o.aid: self.levels_key(o, o.levels) for o in movable}
                above = sum(fk > k for fk in fixed) + sum(v > k for v in cur.values())
                if above == rank - 1:
                    return k
                down = [
                    o for o in movable if k < cur[o.aid] and (below is None or cur[o.aid] < below)
                ]
                up = [o for o in movable if cur[o.aid] < k]
                if above > rank - 1 and down:
                    self.reroll(min(down, key=lambda o: cur[o.aid]), None, k, avoid, others)
                elif above < rank - 1 and up:
                    self.reroll(max(up, key=lambda o: cur[o.aid]), k, below, avoid, others)
                else:
                    raise Retry(f"no ordinary applicant can move for rank {rank}")
        raise Retry(f"could not place {a.aid} at rank {rank}")

    def dtb_pair(
        self,
        hi: Applicant,
        lo: Applicant,
        keys: list[tuple[Fraction, ...]],
        below: tuple[Fraction, ...],
    ) -> None:
        """Equal score, different desirable score; neither equal to anyone else."""
        ess = [
            c
            for c in self.role.criteria
            if c.essential and c.weight > 0 and c.applies_field is None and len(c.scale.levels) > 2
        ]
        des = [
            c
            for c in self.role.criteria
            if not c.essential and c.weight > 0 and len(c.scale.levels) > 2
        ]
        existing = set(keys)
        for _ in range(300):
            hi.strength = self.rng.uniform(0.2, 0.8)
            self.passing_levels(hi)
            e, d = self.rng.choice(ess), self.rng.choice(des)
            pe, pd = e.scale.points, d.scale.points
            for ie_h in range(e.pass_idx or 0, e.top + 1):
                for ie_l in range(e.pass_idx or 0, e.top + 1):
                    for id_h in range(d.top + 1):
                        for id_l in range(d.top + 1):
                            gain = d.weight * (pd[id_h] - pd[id_l])
                            if gain <= 0 or e.weight * (pe[ie_l] - pe[ie_h]) != gain:
                                continue
                            lv_h = dict(hi.levels) | {e.id: ie_h, d.id: id_h}
                            lv_l = dict(hi.levels) | {e.id: ie_l, d.id: id_l}
                            kh, kl = self.levels_key(hi, lv_h), self.levels_key(lo, lv_l)
                            if kh in existing or kl in existing or kh >= below:
                                continue
                            hi.levels = lv_h
                            lo.levels = {
                                c.id: (lv_l[c.id] if c.applies(lo.fields) else None)
                                for c in self.role.criteria
                            }
                            hi.notes.append(
                                f"equal score to {lo.aid}, higher desirable score "
                                f"({e.id} one step lower, {d.id} higher)"
                            )
                            lo.notes.append(f"equal score to {hi.aid}, lower desirable score")
                            return
        raise Retry("no tie-broken pair found")

    def twin(self, a: Applicant, b: Applicant, respell: bool) -> None:
        """Give b the same ratings as a (criteria that apply to b), optionally spelt otherwise."""
        for c in self.role.criteria:
            if c.applies(b.fields):
                b.levels[c.id] = a.levels[c.id] if c.applies(a.fields) else c.top
            else:
                b.levels[c.id] = None
        if respell:
            done = 0
            for c in self.scored_rated(b):
                lvl = b.levels[c.id]
                aliases = [al for al, i in self.usable_aliases(c) if i == lvl]
                if aliases and done < 1:
                    b.cells[c.id] = aliases[0]
                elif done == 1:
                    label = c.scale.levels[lvl or 0]
                    b.cells[c.id] = label.upper() if label.upper() != label else label.lower()
                else:
                    continue
                b.notes.append(f"{c.id} written {b.cells[c.id]!r}")
                done += 1
                if done == 2:
                    break


# =============================================================================================
# A sample set: applicants for a list of slots, with the intended outcomes checked
# =============================================================================================


def build_set(
    role: Role, rng: random.Random, names: NamePool, prefix: str, slots: tuple[str, ...]
) -> list[Applicant]:
    f = Factory(role, rng, names)
    people = [f.make(f"{prefix}{i:03d}", s) for i, s in enumerate(slots, 1)]
    by_scn = {a.scenario: a for a in people}
    late = ("dtb_hi", "dtb_lo", "mid_tie_a", "mid_tie_b", "cutoff_tie_a", "cutoff_tie_b")

    def keys(exclude: tuple[str, ...]) -> list[tuple[Fraction, ...]]:
        outs = [(a, assess(role, a)) for a in people if a.scenario not in exclude]
        return [o.key for a, o in outs if o.met]

    n = role.size
    protected: set[Key] = set()
    f.dedupe([p for p in people if p.scenario not in late])
    if "dtb_hi" in by_scn:
        cut = sorted(keys(late), reverse=True)[n]
        hi, lo = by_scn["dtb_hi"], by_scn["dtb_lo"]
        f.dtb_pair(hi, lo, keys(late), cut)
        f.finish(hi)
        f.finish(lo)
        protected |= {f.levels_key(hi, hi.levels), f.levels_key(lo, lo.levels)}
    cut_key: Key | None = None
    for tag, rank, respell in (("cutoff_tie", n, True), ("mid_tie", n + 8, False)):
        if f"{tag}_a" not in by_scn:
            continue
        a, b = by_scn[f"{tag}_a"], by_scn[f"{tag}_b"]
        pending = [
            p
            for p in people
            if p.scenario in late and p.scenario.startswith("mid_tie") and tag == "cutoff_tie"
        ]
        active = [p for p in people if p not in pending]
        k = f.place_pair(a, b, active, rank, cut_key, protected)
        f.twin(a, b, respell=respell)
        f.finish(a)
        f.finish(b)
        protected.add(k)
        if tag == "cutoff_tie":
            cut_key = k
        what = "tie at the cut-off" if tag == "cutoff_tie" else "tie"
        a.notes.append(f"identical ratings to {b.aid}: {what}, shared rank {rank}")
        b.notes.append(f"identical ratings to {a.aid}: {what}, shared rank {rank}")
    check_set(role, f.picks, people)
    return people


def check_set(role: Role, picks: Picks, people: list[Applicant]) -> None:
    """Raise Retry unless every slot's intended outcome holds."""
    outs = rank_all(role, people)
    n = role.size

    def need(cond: bool, why: str) -> None:
        if not cond:
            raise Retry(why)

    by_scn: dict[str, Applicant] = {}
    for a in people:
        by_scn.setdefault(a.scenario, a)
        o = outs[a.aid]
        failing = a.scenario.startswith("fail_") or a.scenario == "gis_fail"
        need(o.met != failing, f"{a.aid} {a.scenario}: met={o.met}")
        unev = [c for c, fl in o.flags if fl == "unevidenced"]
        if a.scenario not in ("fail_unevidenced", "unevidenced_desirable"):
            need(not unev, f"{a.aid} unexpected unevidenced {unev}")
        over = [c for c, fl in o.flags if fl == "over_word_limit"]
        need(bool(over) == a.scenario.startswith("over_limit"), f"{a.aid} over={over}")
    ranked = [o for o in outs.values() if o.rank is not None]
    if "cutoff_tie_a" in by_scn:
        ta, tb = outs[by_scn["cutoff_tie_a"].aid], outs[by_scn["cutoff_tie_b"].aid]
        need(ta.rank == tb.rank == n, "cut-off tie not at N")
        need(sum(o.rank is not None and o.rank <= n for o in ranked) == n + 1, "cut-off count")
        need(sum(o.rank == n for o in ranked) == 2, "cut-off tie not a pair")
    if "mid_tie_a" in by_scn:
        ma, mb = outs[by_scn["mid_tie_a"].aid], outs[by_scn["mid_tie_b"].aid]
        need(ma.rank == mb.rank == n + 8 and sum(o.rank == ma.rank for o in ranked) == 2, "mid tie")
    if "dtb_hi" in by_scn:
        dh, dl = outs[by_scn["dtb_hi"].aid], outs[by_scn["dtb_lo"].aid]
        need(dh.score == dl.score and (dh.rank or 0) < (dl.rank or 0), "dtb order")
        need(sum(o.key in (dh.key, dl.key) for o in ranked) == 2, "dtb keys not unique")
    if "cutoff_tie_a" in by_scn:
        pairs = {frozenset({"cutoff_tie_a", "cutoff_tie_b"}), frozenset({"mid_tie_a", "mid_tie_b"})}
        groups: dict[Key, list[str]] = {}
        for a in people:
            if outs[a.aid].met:
                groups.setdefault(outs[a.aid].key, []).append(a.scenario)
        need(all(len(g) == 1 or frozenset(g) in pairs for g in groups.values()), "stray tie")
    if "gis_pass_low" in by_scn:
        g = outs[by_scn["gis_pass_low"].aid]
        need(g.rank is not None and g.rank >= n + 10, f"GIS rank {g.rank}")
    for scn in (
        "fail_below",
        "fail_blank",
        "fail_unevidenced",
        "fail_gate",
        "fail_stepup",
        "gis_fail",
        "fail_below_other",
    ):
        if scn in by_scn:
            need(len(outs[by_scn[scn].aid].failures) == 1, f"{scn} failures")
    if "fail_multi" in by_scn:
        need(len(outs[by_scn["fail_multi"].aid].failures) == 2, "fail_multi failures")


# =============================================================================================
# Writers
# =============================================================================================


def columns(role: Role) -> list[tuple[str, Any]]:
    """(header, getter) for the table layout."""
    bl = role.builtin_labels
    cols: list[tuple[str, Any]] = [
        (bl["applicant_id"], lambda a: a.aid),
        (bl["name"], lambda a: a.name),
    ]
    for f in role.fields:
        if not f.monitoring:
            cols.append((f.label, lambda a, n=f.name: a.fields.get(n, "")))
    cols += [
        (bl["guaranteed_interview"], lambda a: "Yes" if a.gis else "No"),
        ("Email", lambda a: a.email),
        ("Submitted at", lambda a: a.submitted),
    ]
    for c in role.criteria:
        cols.append((f"{c.id} rating", lambda a, c=c: a.rating_cell(c)))
        if c.evidence != "none":
            cols.append((f"{c.id} evidence", lambda a, c=c: a.evidence.get(c.id, "")))
    for f in role.fields:
        if f.monitoring:
            cols.append((f.label, lambda a, n=f.name: a.fields.get(n, "")))
    return cols


def put(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write a cell; text always as text (never a formula), blanks as empty cells."""
    cell = ws.cell(row=row, column=col)
    if value is None or value == "":
        return cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def new_workbook() -> Any:
    wb = openpyxl.Workbook()
    wb.properties.creator = "shortlist sample generator"
    return wb


def save_workbook(wb: Any, path: Path) -> None:
    """Save, then pin the document dates and zip timestamps so reruns are byte-identical."""
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + DOC_TIME.encode(),
                    data,
                )
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=ZIP_TIME),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def fill_table_sheet(ws: Any, role: Role, people: list[Applicant], title: str | None) -> None:
    cols = columns(role)
    row = 1
    if title:
        put(ws, 1, 1, title).font = Font(bold=True, size=13)
        row = 3
    for j, (header, _) in enumerate(cols, 1):
        put(ws, row, j, header).font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=row + 1, column=3)
    for i, a in enumerate(people, row + 1):
        for j, (_, get) in enumerate(cols, 1):
            put(ws, i, j, get(a))
    for j, (header, _) in enumerate(cols, 1):
        letter = openpyxl.utils.get_column_letter(j)
        ws.column_dimensions[letter].width = (
            60 if header.endswith("evidence") else max(12, min(30, len(header) + 2))
        )


def table_title(role: Role) -> str:
    return f"{role.short_org} – {role.title} – applications export, {EXPORT_MONTH}"


def write_table_xlsx(path: Path, role: Role, people: list[Applicant]) -> None:
    wb = new_workbook()
    ws = wb.active
    ws.title = "Applications"
    fill_table_sheet(ws, role, people, table_title(role))
    save_workbook(wb, path)


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def write_table_csv(
    path: Path,
    role: Role,
    people: list[Applicant],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    cols = columns(role)
    w.writerow([h for h, _ in cols])
    for a in people:
        w.writerow([csv_text(get(a)) for _, get in cols])
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_form(path: Path, role: Role, a: Applicant) -> None:
    wb = new_workbook()
    ws = wb.active
    ws.title = "Application"
    put(ws, 1, 1, f"Application – {role.title}").font = Font(bold=True, size=13)
    put(
        ws,
        2,
        1,
        "Rate yourself against each criterion using the drop-down list, and give "
        "evidence in your own words within the word limit shown.",
    )
    bl = role.builtin_labels
    rows: list[tuple[str, Any]] = [
        (bl["applicant_id"], a.aid),
        (bl["name"], a.name),
        (bl["guaranteed_interview"], "Yes" if a.gis else "No"),
    ]
    rows += [(f.label, a.fields.get(f.name, "")) for f in role.fields if not f.monitoring]
    r = 4
    for label, value in rows:
        put(ws, r, 1, label).font = Font(bold=True)
        put(ws, r, 2, value)
        r += 1
    r += 1
    header = (
        "Criterion ID",
        "Section",
        "Criterion",
        "Your rating",
        "Your evidence",
        "Word limit",
        "Words",
    )
    for j, h in enumerate(header, 1):
        put(ws, r, j, h).font = Font(bold=True)
    lists: dict[str, DataValidation] = {}
    for c in role.criteria:
        r += 1
        ev = a.evidence.get(c.id, "")
        values = (
            c.id,
            c.section,
            c.text,
            a.rating_cell(c),
            ev if c.evidence != "none" else "",
            c.word_limit if c.evidence != "none" else None,
            words(ev) if c.evidence != "none" else None,
        )
        for j, v in enumerate(values, 1):
            put(ws, r, j, v)
        ws.cell(row=r, column=5).alignment = Alignment(wrap_text=True, vertical="top")
        dv = lists.get(c.scale.name)
        if dv is None:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(c.scale.levels) + '"',
                allow_blank=True,
                showErrorMessage=False,
            )
            lists[c.scale.name] = dv
            ws.add_data_validation(dv)
        dv.add(f"D{r}")
    for letter, width in zip("ABCDEFG", (16, 30, 50, 22, 80, 11, 8), strict=True):
        ws.column_dimensions[letter].width = width
    mon = wb.create_sheet("Equality monitoring")
    put(mon, 1, 1, "Equality monitoring (optional)").font = Font(bold=True, size=13)
    put(
        mon, 2, 1, "Your answers are kept separately and are never used in scoring or shortlisting."
    )
    r = 4
    for f in role.fields:
        if f.monitoring:
            put(mon, r, 1, f.label).font = Font(bold=True)
            put(mon, r, 2, a.fields.get(f.name, ""))
            r += 1
    mon.column_dimensions["A"].width = 24
    mon.column_dimensions["B"].width = 40
    save_workbook(wb, path)


# =============================================================================================
# messy/: tiny broken files for `shortlist check`
# =============================================================================================

MESSY_README = """\
# messy/ – inputs that `shortlist check` must report on

Tiny table-layout files for the `{role}` role, each named for its quirk (3–5 applicants).
Rebuilt by `sample_applications/generate.py`; do not edit by hand.
`shortlist check {role} sample_applications/messy/FILE` should report, per file:

| file | quirk | what `check` should report |
|---|---|---|
{rows}

Every file that reads at all has the unmatched columns `Email` and `Submitted at`, which
`check` names once as ignored (not an error). `check` exits 1 for each file with an error and 0
for the four valid ones (`semicolon_cp1252.csv`, `hidden_sheet_decoy.xlsx`,
`formula_like_text.csv`, `tab_utf8_bom.csv`).
"""


def build_messy(role: Role, seed: int, out: Path) -> list[tuple[str, str, str]]:
    rng = random.Random(f"{seed}:{role.id}:messy")
    names = NamePool(rng)
    f = Factory(role, rng, names)
    picks = f.picks
    rows: list[tuple[str, str, str]] = []
    counter = iter(range(1, 1000))

    def batch(k: int) -> list[Applicant]:
        return [f.make(f"M{next(counter):03d}", "ordinary") for _ in range(k)]

    e2 = pick(picks.graded, 1) or role.criteria[0]
    rating_col = f"{e2.id} rating"

    people = batch(4)
    people[2].cells[e2.id] = "Quite a lot"
    write_table_xlsx(out / "unknown_rating.xlsx", role, people)
    accepted = ", ".join(f'"{lv}"' for lv in e2.scale.levels)
    rows.append(
        (
            "unknown_rating.xlsx",
            f'{people[2].aid} rated {e2.id} "Quite a lot"',
            f"error (unknown rating): sheet `Applications`, row 6, column `{rating_col}`, "
            f'value "Quite a lot"; lists the accepted values ({accepted} and the '
            f"aliases/point values). {people[2].aid} is invalid; the other 3 read.",
        )
    )

    people = batch(3)
    cols = [c for c in columns(role) if c[0] != role.builtin_labels["applicant_id"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for h, _ in cols])
    for a in people:
        w.writerow([csv_text(g(a)) for _, g in cols])
    (out / "missing_id_column.csv").write_bytes(buf.getvalue().encode("utf-8"))
    rows.append(
        (
            "missing_id_column.csv",
            "no `Applicant ID` column at all",
            "error (missing required column): no applicant id column; names the accepted "
            "headers (`Applicant ID`, `ID`, `Candidate number`…). The file cannot be read.",
        )
    )

    people = batch(4)
    people[3].aid = people[1].aid
    write_table_csv(out / "duplicate_ids.csv", role, people)
    rows.append(
        (
            "duplicate_ids.csv",
            f"`{people[1].aid}` on lines 3 and 5",
            f"error (duplicate id): `{people[1].aid}` appears on lines 3 and 5 (both "
            "named, with the column `Applicant ID`).",
        )
    )

    people = batch(4)
    for a, (nm, fem, eth) in zip(people, ACCENTED_NAMES, strict=False):
        a.name, a.female, a.ethnic = nm, fem, eth
        f.set_contact(a)
    c0 = pick(picks.graded, 0) or role.criteria[0]
    people[0].evidence[c0.id] = (
        people[0].evidence[c0.id] + " Outcome – £2.4m restrained; "
        "the DI’s review called it “exemplary”."
    )
    write_table_csv(out / "semicolon_cp1252.csv", role, people, delimiter=";", encoding="cp1252")
    rows.append(
        (
            "semicolon_cp1252.csv",
            "valid: cp1252 encoding, `;` delimiter, accented "
            "names (Zoë, Seán, José, Siân), “curly quotes”, – and £ in evidence",
            "no errors: 4 applicants read, names decoded correctly (e.g. `Zoë Brontë-Hughes`).",
        )
    )

    people = batch(4)
    people[1].aid = ""
    write_table_xlsx(out / "blank_id.xlsx", role, people)
    rows.append(
        (
            "blank_id.xlsx",
            "row 5 has a name and ratings but no applicant id",
            "error (missing id): sheet `Applications`, row 5, column `Applicant ID` is "
            "blank although the row has data. The other 3 read.",
        )
    )

    (out / "not_a_spreadsheet.xlsx").write_text(
        "Hi both,\n\nPlease find the DS applications attached. Let me know if you have any\n"
        "problems opening them.\n\nThanks,\nRecruitment team\n",
        "utf-8",
    )
    rows.append(
        (
            "not_a_spreadsheet.xlsx",
            "plain text with an .xlsx name",
            "error (unreadable file): not an .xlsx workbook (it is plain text). Nothing is read.",
        )
    )

    (out / "empty.csv").write_bytes(b"")
    rows.append(
        (
            "empty.csv",
            "zero bytes",
            "error (unreadable/empty file): no header row and no applicants.",
        )
    )

    people = batch(3)
    rank_field = next((fd for fd in role.fields if not fd.monitoring and fd.values), None)
    if rank_field:
        bad = next(
            v
            for v in ("Detective Sargeant", "Police Staff Investigator", "Other")
            if norm(v) not in {norm(x) for x in rank_field.values or ()}
        )
        people[1].fields[rank_field.name] = bad
        write_table_csv(out / "bad_field_value.csv", role, people)
        rows.append(
            (
                "bad_field_value.csv",
                f'{people[1].aid} has {rank_field.label} "{bad}" (a typo)',
                f"error (bad field value): line 3, column `{rank_field.label}`, "
                f'"{bad}" is not one of {", ".join(rank_field.values or ())}.',
            )
        )

    people = batch(3)
    stale = batch(2)
    for a in stale:
        a.aid = "X" + a.aid[1:]
    wb = new_workbook()
    decoy = wb.active
    decoy.title = "Old export"
    fill_table_sheet(decoy, role, stale, None)
    decoy.sheet_state = "hidden"
    decoy.sheet_view.tabSelected = False
    real = wb.create_sheet("Applications")
    fill_table_sheet(real, role, people, table_title(role))
    real.sheet_view.tabSelected = True
    wb.active = 1
    save_workbook(wb, out / "hidden_sheet_decoy.xlsx")
    rows.append(
        (
            "hidden_sheet_decoy.xlsx",
            "first sheet `Old export` is hidden and holds two "
            f"stale applicants ({stale[0].aid}, {stale[1].aid}); the visible sheet "
            "`Applications` holds the real 3",
            f"no errors: reads the visible sheet only – {', '.join(a.aid for a in people)};"
            f" {stale[0].aid}/{stale[1].aid} must not appear.",
        )
    )

    people = batch(3)
    c0 = pick(picks.graded, 0) or role.criteria[0]
    people[0].evidence[c0.id] = (
        '=HYPERLINK("http://example.com/cv","See my CV") ' + people[0].evidence[c0.id]
    )
    people[1].evidence[c0.id] = "+ " + people[1].evidence[c0.id]
    people[2].evidence[c0.id] = "@SUM(A1:A9) " + people[2].evidence[c0.id]
    people[2].name = "=" + people[2].name
    write_table_csv(out / "formula_like_text.csv", role, people)
    rows.append(
        (
            "formula_like_text.csv",
            "valid: evidence and a name starting with `=`, `+`, `@` (formula injection attempts)",
            "no errors: 3 applicants read; `rank -o out.xlsx` must show these as plain text"
            " cells, never as formulas.",
        )
    )

    people = batch(3)
    write_table_csv(out / "tab_utf8_bom.csv", role, people, delimiter="\t", bom=True)
    rows.append(
        (
            "tab_utf8_bom.csv",
            "valid: UTF-8 with BOM, tab-delimited",
            "no errors: 3 applicants read; the first header is `Applicant ID` (BOM stripped).",
        )
    )

    table = "\n".join(f"| `{a}` | {b} | {c} |" for a, b, c in rows)
    (out / "README.md").write_text(MESSY_README.format(role=role.id, rows=table), "utf-8")
    return rows


# =============================================================================================
# Main
# =============================================================================================


def build_role(role: Role, seed: int) -> tuple[dict[str, list[Applicant]], int]:
    for attempt in range(200):
        rng = random.Random(f"{seed}:{role.id}:{attempt}")
        names = NamePool(rng)
        try:
            sets = {
                "applications.xlsx": build_set(role, rng, names, "S", TABLE_SLOTS),
                "applications.csv": build_set(role, rng, names, "C", CSV_SLOTS),
                "forms": build_set(role, rng, names, "F", FORM_SLOTS),
            }
            return sets, attempt
        except Retry:
            continue
    raise SystemExit(f"{role.id}: could not meet the intended outcomes in 200 attempts")


def fmt(x: Fraction | None) -> float | None:
    return None if x is None else round(float(x), 2)


def expected(role: Role, sets: dict[str, list[Applicant]]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role.id, "top": role.size, "inputs": {}}
    for name, people in sets.items():
        outs = rank_all(role, people)
        order = sorted(
            people, key=lambda a: (outs[a.aid].rank is None, outs[a.aid].rank or 0, a.aid)
        )
        out["inputs"][name] = {
            "applicants": len(people),
            "ranked": sum(o.rank is not None for o in outs.values()),
            "failed_essential": sum(not o.met for o in outs.values()),
            "shortlisted": sum(o.shortlisted for o in outs.values()),
            "results": [
                {
                    "applicant_id": a.aid,
                    "status": outs[a.aid].status,
                    "rank": outs[a.aid].rank,
                    "score": fmt(outs[a.aid].score),
                    "desirable_score": fmt(outs[a.aid].desirable),
                    "essential_met": outs[a.aid].met,
                    "failures": outs[a.aid].failures,
                    "flags": [list(fl) for fl in outs[a.aid].flags],
                    "scenario": a.scenario,
                    "notes": a.notes,
                }
                for a in order
            ],
        }
    return out


def summarise(role: Role, sets: dict[str, list[Applicant]], attempt: int) -> None:
    print(f"== {role.id} (top {role.size}; seed attempt {attempt})")
    for name, people in sets.items():
        outs = rank_all(role, people)
        ranked = [o for o in outs.values() if o.rank is not None]
        at_cut = sorted(a.aid for a in people if outs[a.aid].rank == role.size)
        print(
            f"  {name}: {len(people)} applicants, {len(ranked)} ranked, "
            f"{len(people) - len(ranked)} failed essential, "
            f"{sum(o.shortlisted for o in outs.values())} shortlisted"
            + (
                f"; tie at the cut-off (rank {role.size}): {', '.join(at_cut)}"
                if len(at_cut) > 1
                else ""
            )
        )
        for a in people:
            if a.scenario != "ordinary" or a.notes:
                o = outs[a.aid]
                state = f"rank {o.rank}" if o.rank else "FAILS " + ",".join(o.failures)
                print(
                    f"    {a.aid} {a.scenario:22} {state:16} score {float(o.score):6.2f}  "
                    + "; ".join(a.notes)
                )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roles", nargs="*", type=Path, help="role files (default: roles/*.toml)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = ap.parse_args(argv)
    paths = args.roles or sorted(ROLES_DIR.glob("*.toml"))
    if not paths:
        print(f"no role files in {ROLES_DIR}", file=sys.stderr)
        return 1
    for path in paths:
        role = load_role(path)
        sets, attempt = build_role(role, args.seed)
        base = args.out / role.id
        write_table_xlsx(base / "applications.xlsx", role, sets["applications.xlsx"])
        write_table_csv(base / "applications.csv", role, sets["applications.csv"])
        forms = base / "forms"
        forms.mkdir(parents=True, exist_ok=True)
        for old in forms.glob("form_*.xlsx"):
            old.unlink()
        for a in sets["forms"]:
            write_form(forms / f"form_{a.aid}.xlsx", role, a)
        data = expected(role, sets)
        expected_dir = args.out / "expected"
        expected_dir.mkdir(parents=True, exist_ok=True)
        (expected_dir / f"{role.id}.json").write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8"
        )
        summarise(role, sets, attempt)
        if role.id == MESSY_ROLE:
            messy = args.out / "messy"
            messy.mkdir(parents=True, exist_ok=True)
            rows = build_messy(role, args.seed, messy)
            print(f"  messy/: {len(rows)} files + README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
