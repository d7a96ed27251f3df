import uuid
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from app.i18n import _, lazy
from app.models import utcnow

INSURANCE = {
    "unknown": lazy("Not known"),
    "none": lazy("No health cover"),
    "pending": lazy("Application in progress"),
    "puma": lazy("Basic cover (PUMa)"),
    "puma_css": lazy("Basic cover and complementary cover (CSS)"),
    "ame": lazy("State medical aid (AME)"),
    "other": lazy("Other cover"),
}
PRODUCTS = {
    "crack": lazy("Crack, freebase"),
    "cocaine": lazy("Cocaine"),
    "heroin": lazy("Heroin"),
    "substitution": lazy("Substitution treatment (methadone, buprenorphine)"),
    "other_opioids": lazy("Other opioids"),
    "benzodiazepines": lazy("Benzodiazepines"),
    "alcohol": lazy("Alcohol"),
    "cannabis": lazy("Cannabis"),
    "tobacco": lazy("Tobacco"),
    "synthetic": lazy("Synthetic drugs"),
}
ROUTES = {
    "smoked": lazy("Smoked"),
    "injected": lazy("Injected"),
    "snorted": lazy("Snorted"),
    "swallowed": lazy("Swallowed"),
    "inhaled": lazy("Inhaled (chasing)"),
}
CARE = {
    "wound": lazy("Wound care"),
    "burn": lazy("Burn care"),
    "abscess": lazy("Abscess care"),
    "foot": lazy("Foot care"),
    "dressing": lazy("Dressing changed"),
    "injection": lazy("Injection"),
    "vaccination": lazy("Vaccination"),
    "screening": lazy("Rapid test (HIV, hepatitis)"),
    "medication": lazy("Medication given"),
    "prescription": lazy("Prescription"),
    "advice": lazy("Harm-reduction advice"),
    "hospital": lazy("Sent to hospital"),
}
STATUSES = {"planned": lazy("Planned"), "done": lazy("Done"), "cancelled": lazy("Cancelled")}
# name -> (label, lowest, highest): values outside are typing mistakes, refused with a message.
VITALS = {
    "bp_systolic": (lazy("Blood pressure, systolic (mmHg)"), 50, 260),
    "bp_diastolic": (lazy("Blood pressure, diastolic (mmHg)"), 30, 160),
    "heart_rate": (lazy("Heart rate (beats a minute)"), 20, 250),
    "temperature": (lazy("Temperature (°C)"), 30, 44),
    "spo2": (lazy("Oxygen saturation, SpO2 (percent)"), 50, 100),
    "glucose": (lazy("Blood glucose (g/L)"), 0.2, 6),
    "weight": (lazy("Weight (kg)"), 20, 250),
}

Insurance = Literal["unknown", "none", "pending", "puma", "puma_css", "ame", "other"]
Product = Literal[
    "crack",
    "cocaine",
    "heroin",
    "substitution",
    "other_opioids",
    "benzodiazepines",
    "alcohol",
    "cannabis",
    "tobacco",
    "synthetic",
]
Route = Literal["smoked", "injected", "snorted", "swallowed", "inhaled"]
Care = Literal[
    "wound",
    "burn",
    "abscess",
    "foot",
    "dressing",
    "injection",
    "vaccination",
    "screening",
    "medication",
    "prescription",
    "advice",
    "hospital",
]


class MedicalFileForm(BaseModel):
    version: int | None = None
    insurance: Insurance | None = None
    insurance_details: str | None = Field(default=None, max_length=500)
    care_structures: str | None = Field(default=None, max_length=2000)
    products: list[Product] = []
    products_other: str | None = Field(default=None, max_length=300)
    routes: list[Route] = []
    vulnerabilities: str | None = Field(default=None, max_length=3000)
    history: str | None = Field(default=None, max_length=5000)


class ConsultationForm(BaseModel):
    id: uuid.UUID | None = None  # client-generated on creation: a second submit creates nothing more
    version: int | None = None
    type_id: uuid.UUID
    status: Literal["planned", "done", "cancelled"] = "done"
    at: datetime  # as typed: local time (Europe/Paris)
    care: list[Care] = []
    care_other: str | None = Field(default=None, max_length=300)
    bp_systolic: int | None = Field(default=None, ge=50, le=260)
    bp_diastolic: int | None = Field(default=None, ge=30, le=160)
    heart_rate: int | None = Field(default=None, ge=20, le=250)
    temperature: float | None = Field(default=None, ge=30, le=44)
    spo2: int | None = Field(default=None, ge=50, le=100)
    glucose: float | None = Field(default=None, ge=0.2, le=6)
    weight: float | None = Field(default=None, ge=20, le=250)
    notes: str | None = Field(default=None, max_length=10000)
    private: bool = False

    @model_validator(mode="before")
    @classmethod
    def _decimal_commas(cls, data):
        """French phones type 37,5: accept the comma."""
        if isinstance(data, dict):
            for name in ("temperature", "glucose", "weight"):
                if isinstance(data.get(name), str):
                    data[name] = data[name].replace(",", ".")
        return data

    @field_validator("at")
    @classmethod
    def _done_is_not_future(cls, at: datetime, info: ValidationInfo) -> datetime:
        from app.web import TZ

        at = at if at.tzinfo else at.replace(tzinfo=TZ)
        if info.data.get("status") == "done" and at > utcnow() + timedelta(minutes=30):
            raise ValueError(_("A consultation cannot be done in the future: change the date, or mark it planned."))
        if not 2000 <= at.year <= 2200:
            raise ValueError(_("Enter a valid date."))
        return at

    @property
    def vitals(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in VITALS if getattr(self, k) is not None}


class TreatmentForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str = Field(min_length=1, max_length=200)
    dosage: str | None = Field(default=None, max_length=200)
    frequency: str | None = Field(default=None, max_length=200)
    start_on: date | None = None
    end_on: date | None = None
    notes: str | None = Field(default=None, max_length=3000)

    @field_validator("end_on")
    @classmethod
    def _end_after_start(cls, end_on: date | None, info: ValidationInfo) -> date | None:
        start_on = info.data.get("start_on")
        if start_on and end_on and end_on < start_on:
            raise ValueError(_("The end date comes before the start date."))
        return end_on


class ConsultationTypeForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    label: str = Field(min_length=1, max_length=120)
    position: int = Field(default=0, ge=0, le=1000)
