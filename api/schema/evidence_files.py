"""Evidence files over GraphQL: the upload (the GraphQL multipart request spec) and a
stored file as it is shown beside the evidence that cites it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.file_uploads import Upload

from api.db.models import EvidenceFile as EvidenceFileRow
from api.domain import evidence_files as files
from api.errors import TuopinError
from api.resolvers.context import Context
from api.schema.errors import ANONYMOUS, AnyError, error_of
from api.schema.running import run
from api.services import evidence_files

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A stored evidence file, known by the SHA-256 the server computed of it. "
    "Cite it in a stage's evidence with this sha256 and reference."
)
class EvidenceFile:
    sha256: str
    size: int = strawberry.field(description="In bytes.")
    media_type: str = strawberry.field(
        description="What its first bytes say it is: application/pdf, image/jpeg, image/png "
        "or application/ofd."
    )
    name: str = strawberry.field(description="The name it was first uploaded under; may be empty.")
    uploaded_at: datetime = strawberry.field(description="Its first upload.")

    @strawberry.field(
        description="What evidence citing it gives as reference: tuopin:file:<sha256>."
    )
    def reference(self) -> str:
        return files.reference_of(self.sha256)

    @strawberry.field(
        description="GET it here with your token (a path on this server): readers of an "
        "application citing it, and its uploaders."
    )
    def download_path(self) -> str:
        return files.download_path(self.sha256)

    @classmethod
    def of(cls, row: EvidenceFileRow) -> EvidenceFile:
        return cls(
            sha256=row.sha256,
            size=row.size,
            media_type=row.media_type,
            name=row.name,
            uploaded_at=row.uploaded_at,
        )


@strawberry.type
class EvidenceFileSuccess:
    file: EvidenceFile


EvidenceFilePayload = Annotated[
    EvidenceFileSuccess | AnyError, strawberry.union("EvidenceFilePayload")
]


@strawberry.type
class EvidenceFileMutations:
    @strawberry.mutation(
        description="Upload a document to cite as evidence (a multipart request: the GraphQL "
        "multipart request spec). The server hashes it; uploading the same bytes again "
        "returns the same file. Accepted: PDF, JPEG, PNG, OFD, up to the server's limit "
        "(TUOPIN_EVIDENCE_MAX_BYTES, 20 MiB by default)."
    )
    async def upload_evidence_file(self, info: Info, file: Upload) -> EvidenceFilePayload:
        context = info.context
        principal = context.principal
        if principal is None:
            return ANONYMOUS
        if context.files is None:
            raise RuntimeError("this server keeps no evidence files (no file store)")
        incoming = cast("evidence_files.Incoming", file)  # Starlette's UploadFile
        authorizer = context.authorizer
        try:
            # Authorized in a short read; received and stored outside any transaction
            # (a slow upload holds no connection); the row written in the mutation's own.
            await context.read(lambda s: evidence_files.authorize_upload(s, authorizer, principal))
            kept = await evidence_files.keep(incoming, context.files, context.file_limits)
        except TuopinError as exc:
            return error_of(exc)  # type: ignore[return-value]
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: evidence_files.record(env, who, kept, name=incoming.filename),
            lambda row: EvidenceFileSuccess(file=EvidenceFile.of(row)),
            name="uploadEvidenceFile",
            key=None,
            request=None,
        )
