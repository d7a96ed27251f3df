from pydantic import BaseModel, Field


class RetentionForm(BaseModel):
    version: int | None = None
    # From 6 months to 10 years; the CNIL reference for the social and medico-social sector is 2 years.
    retention_months: int = Field(ge=6, le=120)


class EraseForm(BaseModel):
    code: str = Field(min_length=1, max_length=20)
