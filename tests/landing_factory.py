"""A minimal valid landing folder, written by hand so each ingestion test can break exactly one thing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cs_warehouse.tooling.generator.events import SCHEMA as EVENT_SCHEMA

CSV_FILES = {
    "users.csv": """Id,Name,Email,UserRole,IsActive,CreatedDate,Team,ManagerId
U001,佐藤 花子,sato@example.jp,csm,true,2024-01-05T09:00:00+09:00,カスタマーサクセス1課,U002
U002,鈴木 一郎,suzuki@example.jp,cs_manager,true,2024-01-05T09:00:00+09:00,カスタマーサクセス1課,
""",
    "accounts.csv": """Id,Name,ParentId,Industry,BillingState,NumberOfEmployees,Segment__c,OwnerId,CreatedDate
A001,株式会社サンプル,,製造,東京都,120,mid_market,U001,2024-02-01T10:00:00+09:00
A002,合同会社テスト,A001,小売,大阪府,15,smb,U001,2024-03-01T10:00:00+09:00
""",
    "product_lines.csv": """Id,Name,NameJa__c
PL1,Core,コア
""",
    "plans.csv": """Id,Name,ProductLineId,Tier__c,TierRank__c,ListPricePerSeatJpy__c
P_STD,Core Standard,PL1,standard,2,3000
""",
    "contracts.csv": """Id,AccountId,ContractNumber,StartDate,EndDate,ContractTerm,BillingPeriod__c,Status,CancellationDate__c,PreviousContractId__c,CurrencyIsoCode
C001,A001,00000001,2024-02-01,2025-01-31,12,annual,active,,,JPY
C002,A002,00000002,2024-03-01,2024-05-31,1,monthly,cancelled,2024-05-10,,JPY
""",
    "contract_items.csv": """Id,ContractId,PlanId,Quantity,Amount,StartDate,EndDate
I001,C001,P_STD,10,360000,2024-02-01,
I002,C002,P_STD,2,6000,2024-03-01,
""",
    "account_csm_assignments.csv": """Id,AccountId,UserId,StartDate,EndDate
AS1,A001,U002,2024-02-01,2024-04-01
AS2,A001,U001,2024-04-01,
AS3,A002,U001,2024-03-01,
""",
    "contacts.csv": """Id,AccountId,LastName,FirstName,Email,Title,ContactRole__c,CreatedDate
CT1,A001,高橋,美咲,takahashi@example.jp,情報システム部長,admin,2024-02-01T10:00:00+09:00
CT2,A002,伊藤,健,ito@example.jp,,champion,2024-03-01T10:00:00+09:00
""",
    "opportunities.csv": """Id,AccountId,Type,StageName,Amount,CurrencyIsoCode,CloseDate,CreatedDate,OwnerId
OP1,A001,new,closed_won,30000,JPY,2024-01-25,2024-01-05T10:00:00+09:00,U002
OP2,A002,new,closed_won,6000,JPY,2024-02-27,2024-02-10T10:00:00+09:00,U001
""",
    "cancellation_surveys.csv": """Id,AccountId,ContractId,SubmittedAt,ReasonCode,FreeText
CS1,A002,C002,2024-05-10T15:00:00+09:00,low_usage,使う機会が少なかった
""",
    "support_tickets.csv": """id,organization_id,requester_id,created_at,first_response_at,solved_at,status,priority,is_escalated,subject
T1,A001,CT1,2024-03-04T01:00:00Z,2024-03-04T01:30:00Z,2024-03-05T02:00:00Z,solved,normal,false,ログインできない
""",
    "nps_responses.csv": """response_id,account_id,contact_id,responded_at,score,comment
N1,A001,CT1,2024-04-10T03:00:00Z,9,とても便利
""",
    "csat_responses.csv": """response_id,account_id,contact_id,ticket_id,touchpoint,responded_at,score
CSAT1,A001,CT1,T1,support,2024-03-05T03:00:00Z,5
""",
    "product_users.csv": """user_id,account_id,contact_id,email,role,created_at,deactivated_at
PU1,A001,CT1,a@example.jp,admin,2024-02-01T01:00:00Z,
PU2,A002,,b@example.jp,member,2024-03-01T01:00:00Z,
""",
}


def event_table(rows: list[dict]) -> pa.Table:
    """Rows in the landing event log's schema (the generator's, which follows the raw contract)."""
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def event(message_id: str, when: dt.datetime, user: str = "PU1", account: str = "A001") -> dict:
    return {
        "messageId": message_id,
        "userId": user,
        "groupId": account,
        "event": "Logged In",
        "feature": None,
        "sessionId": None,
        "isSystem": False,
        "timestamp": when,
        "receivedAt": when + dt.timedelta(seconds=2),
        "properties": "{}",
    }


def write_events(landing: Path, day: str, rows: list[dict]) -> Path:
    folder = landing / "product_events" / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-0.parquet"
    pq.write_table(event_table(rows), path)
    return path


def write_minimal_landing(landing: Path) -> Path:
    landing.mkdir(parents=True, exist_ok=True)
    for name, text in CSV_FILES.items():
        (landing / name).write_text(text, encoding="utf-8")
    utc = dt.UTC
    write_events(
        landing,
        "2024-03-02",
        [
            event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=utc)),  # 01:00 JST on March 2
            event("E2", dt.datetime(2024, 3, 2, 3, 0, tzinfo=utc), user="PU2", account="A002"),
        ],
    )
    return landing
