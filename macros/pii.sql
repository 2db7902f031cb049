{#-
    Free text typed by customers (cancellation-survey answers, NPS comments, ticket subjects) masked where staging
    first exposes it, so no model downstream, no mart and no BI reader sees what it hides (docs/bi.md):

      e-mail addresses                                         -> [email]
      phone numbers: 03-1234-5678, 090-1234-5678, 0120-123-456, 09012345678, full-width digits and dashes,
        03(1234)5678, +81-90-1234-5678 and other numbers written with a leading +  -> [phone]
      a name before an honorific or title (田中様, 佐藤 花子さん, スズキ氏, 山田部長, Tanaka様)
                                                               -> [name]様, [name]さん, [name]部長 …
      a name after 担当の, 担当: or 窓口の (担当の鈴木が対応)           -> 担当の[name]が対応

    A name is a run of kanji (two runs with a space between: a full name), of katakana, or a capitalised Latin
    word; hiragana-only names are not recognised. Common words that end in an honorific (お客様, 皆さん, 仕様, 同様,
    ユーザー様 …) and 担当の方 are kept as they are. The rules err towards hiding: a word before a title that is not a name
    (営業部長) is masked too.

    The patterns use only what RE2 (DuckDB), PostgreSQL's ARE and Java (Spark) read alike: character classes with
    literal characters, no backslash escapes, no look-around. Only the way a replacement names a group differs
    (\1 or $1), hence the dispatched regexp_replace_all.
-#}

{%- macro pii_name_honorifics() -%}
    {{ return('様|さま|さん|ちゃん|くん|氏|殿|先生|社長|会長|専務|常務|取締役|部長|次長|課長|係長|主任|室長|所長|店長|マネージャー|マネジャー|リーダー') }}
{%- endmacro -%}

{#- Words that end in an honorific but name nobody, as (word before the honorific, honorific). A marker goes
    between the two while names are masked. No word here may begin with a kanji that often ends a name (一様,
    多様 are missing for 健一様 and 本多様). -#}
{%- macro pii_kept_words() -%}
    {{ return('(お客|皆|仕|同|模|異|ユーザー|利用者|担当者|関係者)(様|さま|さん)') }}
{%- endmacro -%}

{%- macro mask_free_text(expr) -%}
    {%- set digit = '[0-9０-９]' -%}
    {%- set sep = '[-‐‑–—―−－ー .．()（）　]{0,2}' -%}
    {%- set kanji = '[㐀-䶿一-鿿々〆ヵヶ]' -%}
    {%- set kana = '[ァ-ヴー・]' -%}
    {%- set latin = '[A-Z][A-Za-z]{1,20}' -%}
    {%- set name = '(?:' ~ kanji ~ '{1,4}(?:[ 　]?' ~ kanji ~ '{1,4})?|' ~ kana ~ '{2,12}|' ~ latin ~ '(?: ' ~ latin ~ ')?)' -%}
    {%- set rules = [
        ('[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+-]+[@＠][A-Za-z0-9Ａ-Ｚａ-ｚ０-９-]+(?:[.．][A-Za-z0-9Ａ-Ｚａ-ｚ０-９-]+)+', '[email]'),
        ('[+＋]' ~ digit ~ '(?:' ~ sep ~ digit ~ '){7,13}', '[phone]'),
        ('[(（]?[0０][5789５７８９][0０](?:' ~ sep ~ digit ~ '){8}', '[phone]'),
        ('[(（]?[0０](?:' ~ sep ~ digit ~ '){9}', '[phone]'),
    ] -%}
    {%- set masked = namespace(sql=expr) -%}
    {%- for pattern, replacement in rules -%}
        {%- set masked.sql = regexp_replace_all(masked.sql, pattern, replacement) -%}
    {%- endfor -%}
    {#- a marker (a supplementary private-use character, not expected in survey text) between each kept word and
        its honorific, and after 担当の / 窓口の before 方; names masked; the markers removed -#}
    {%- set marker = "\U000F0000" -%}
    {%- set masked.sql = regexp_replace_all(masked.sql, pii_kept_words(), '\\1' ~ marker ~ '\\2') -%}
    {%- set masked.sql = regexp_replace_all(masked.sql, '(担当の|窓口の)(方)', '\\1' ~ marker ~ '\\2') -%}
    {%- set masked.sql = regexp_replace_all(masked.sql, name ~ '[ 　]?(' ~ pii_name_honorifics() ~ ')', '[name]\\1') -%}
    {%- set masked.sql = regexp_replace_all(masked.sql, '(担当の|担当:|担当：|担当者:|担当者：|窓口の)[ 　]?' ~ name, '\\1[name]') -%}
    {%- set masked.sql = 'replace(' ~ masked.sql ~ ", '" ~ marker ~ "', '')" -%}
    {{ return(masked.sql) }}
{%- endmacro -%}

{#- Every match of `pattern` replaced; `replacement` names groups as \1, \2. -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cs_warehouse')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Spark replaces every match without a flag and names groups $1. -#}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement | replace("\\", "$") }}')
{%- endmacro %}
