"""Observations of a territory: counts by gender, atmosphere, police, material found or collected, incidents,
and the organisation's custom observation fields (the person fields machinery, scope "observation")."""

import uuid

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.field import observations
from app.field.forms import ObservationForm
from app.models import ObservationMaterial
from app.persons import fields
from app.web import validate_form
from tests.factories import make_custom_field, make_field_place, make_material, make_territory


def obs_form(**kw) -> ObservationForm:
    result = validate_form(ObservationForm, {"id": str(uuid.uuid4()), "atmosphere": "calm", "police": "none", **kw})
    assert result.ok, result.errors
    return result.data


def test_an_observation_keeps_counts_material_and_custom_fields(db, org, team, actor):
    place = make_field_place(db, org, make_territory(db, org, "Jardin d'Éole"), "Terrain de sport")
    syringes = make_material(db, org, "Syringes")
    tents = make_custom_field(db, org, label="Tents", kind="number", scope="observation")
    person_field = make_custom_field(db, org, label="Dog", kind="text")  # a person field: not on observations
    assert [f.id for f in observations.custom_fields(db, actor)] == [tents.id]
    assert person_field.id not in [f.id for f in fields.form_fields(db, actor, scope="observation")]
    f = obs_form(where=f"p:{place.id}", women="3", men="12", others="1", atmosphere="tense", police="operation")
    raw = {f"found_{syringes.id}": "14", f"collected_{syringes.id}": "9"}
    obs = observations.record_observation(db, actor, f, raw, {f"cf_{tents.id}": ["6"]})
    assert observations.record_observation(db, actor, f, raw, {}).id == obs.id  # sent twice: one
    assert (obs.territory_id, obs.place_id, obs.team_id) == (place.territory_id, place.id, team.id)
    line = db.exec(select(ObservationMaterial)).one()
    assert (line.found, line.collected) == (14, 9)
    view = observations.views(db, actor, [obs], with_custom=True)[0]
    assert view.people == 16 and view.where == "Jardin d'Éole · Terrain de sport"
    assert view.materials == [("Syringes", 14, 9)] and view.custom == [("Tents", "6")]


def test_bad_observations_are_refused_field_by_field(db, org, actor):
    territory = make_territory(db, org)
    syringes = make_material(db, org, "Syringes")
    required = make_custom_field(
        db, org, label="Weather", kind="choice", options=["dry", "rain"], required=True, scope="observation"
    )
    with pytest.raises(FieldErrors) as exc:
        observations.record_observation(
            db,
            actor,
            obs_form(where=f"t:{territory.id}"),
            {f"found_{syringes.id}": "-3"},
            {f"cf_{required.id}": ["snow"]},
        )
    assert exc.value.errors == {
        f"found_{syringes.id}": "Enter a number from 0 to 500.",
        f"cf_{required.id}": "Choose one of the options.",
    }
    counts = validate_form(
        ObservationForm,
        {"id": str(uuid.uuid4()), "where": "x", "women": "-1", "atmosphere": "stormy", "police": "none"},
    )
    assert counts.errors == {"women": "Must be at least 0.", "atmosphere": "Choose one of the options."}
    assert validate_form(ObservationForm, {"id": str(uuid.uuid4()), "atmosphere": "calm", "police": "none"}).errors == {
        "where": "This field is required."
    }
