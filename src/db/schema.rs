//! The shared schema of both backends. Kept by hand because one `schema.rs`
//! serves two sets of migrations (`migrations/sqlite`, `migrations/postgres`):
//! every column here must exist, with the same meaning, in both.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        comment_banned_until -> Nullable<Timestamp>,
        comments_hidden -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sections (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        position -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    sections,
    media,
    media_renditions,
    articles,
    article_bylines,
    article_media,
    article_revisions,
    article_corrections,
    article_slugs,
    tags,
    article_tags,
    article_sections,
    article_related,
    comments,
    comment_moderation,
    comment_flags,
    events,
    scheduler,
    webhooks,
    webhook_deliveries,
    login_failures,
    article_deliveries,
    delivery_queue
);

diesel::table! {
    media (id) {
        id -> Text,
        kind -> Text,
        mime_type -> Text,
        bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        duration_seconds -> Nullable<Double>,
        original_filename -> Nullable<Text>,
        title -> Nullable<Text>,
        alt_text -> Nullable<Text>,
        caption -> Nullable<Text>,
        creators -> Text,
        provider -> Nullable<Text>,
        source -> Nullable<Text>,
        copyright_holder -> Nullable<Text>,
        copyright_notice -> Nullable<Text>,
        license -> Nullable<Text>,
        usage_terms -> Nullable<Text>,
        rights_expire_at -> Nullable<Timestamp>,
        credit_line -> Nullable<Text>,
        focal_x -> Nullable<Double>,
        focal_y -> Nullable<Double>,
        keywords -> Text,
        taken_at -> Nullable<Timestamp>,
        ed_note -> Nullable<Text>,
        uploaded_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    media_renditions (media_id, width, ratio, format) {
        media_id -> Text,
        width -> Integer,
        ratio -> Text,
        format -> Text,
        height -> Integer,
        mime_type -> Text,
        bytes -> BigInt,
        storage_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(media_renditions -> media (media_id));

diesel::table! {
    articles (id) {
        id -> Text,
        slug -> Text,
        locale -> Text,
        headline -> Text,
        subheadline -> Nullable<Text>,
        kicker -> Nullable<Text>,
        summary -> Nullable<Text>,
        body -> Text,
        dateline -> Nullable<Text>,
        source -> Nullable<Text>,
        source_category -> Nullable<Text>,
        section_id -> Text,
        main_media_id -> Nullable<Text>,
        main_media_caption -> Nullable<Text>,
        main_media_credit -> Nullable<Text>,
        seo_title -> Nullable<Text>,
        seo_description -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
        comments_policy -> Text,
        status -> Text,
        word_count -> Integer,
        reading_minutes -> Integer,
        created_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        modified_at -> Timestamp,
        first_published_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        updated_at -> Nullable<Timestamp>,
        embargo_until -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        comment_count -> Integer,
    }
}

diesel::table! {
    article_bylines (article_id, position) {
        article_id -> Text,
        position -> Integer,
        user_id -> Nullable<Text>,
        name -> Text,
        role -> Nullable<Text>,
    }
}

diesel::table! {
    article_media (article_id, media_id) {
        article_id -> Text,
        media_id -> Text,
    }
}

diesel::table! {
    article_revisions (article_id, number) {
        article_id -> Text,
        number -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        note -> Text,
        document -> Text,
    }
}

diesel::joinable!(article_bylines -> articles (article_id));
diesel::joinable!(article_media -> articles (article_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(articles -> sections (section_id));

diesel::table! {
    article_corrections (id) {
        id -> Text,
        article_id -> Text,
        kind -> Text,
        text -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_slugs (locale, slug) {
        locale -> Text,
        slug -> Text,
        article_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> Text,
        tag_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    article_sections (article_id, section_id) {
        article_id -> Text,
        section_id -> Text,
    }
}

diesel::table! {
    article_related (article_id, position) {
        article_id -> Text,
        position -> Integer,
        related_id -> Text,
    }
}

diesel::joinable!(article_tags -> tags (tag_id));

diesel::table! {
    comments (id) {
        id -> Text,
        article_id -> Text,
        thread_id -> Text,
        parent_id -> Nullable<Text>,
        reply_to_id -> Nullable<Text>,
        depth -> Integer,
        user_id -> Text,
        body -> Text,
        status -> Text,
        hidden -> Bool,
        flag_count -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    comment_moderation (id) {
        id -> Text,
        comment_id -> Text,
        moderator_id -> Nullable<Text>,
        from_status -> Text,
        to_status -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comment_flags (comment_id, user_id) {
        comment_id -> Text,
        user_id -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(comments -> users (user_id));
diesel::joinable!(comment_moderation -> comments (comment_id));
diesel::joinable!(comment_flags -> comments (comment_id));

diesel::table! {
    events (position) {
        position -> BigInt,
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        resource_id -> Text,
        public -> Bool,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduler (name) {
        name -> Text,
        until -> Timestamp,
        mark -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        description -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        event_cursor -> BigInt,
        due_at -> Nullable<Timestamp>,
        lease_token -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_position -> Nullable<BigInt>,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
        duration_ms -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    article_deliveries (article_id) {
        article_id -> Text,
        locale -> Text,
        slug -> Text,
        document -> Text,
        document_gzip -> Binary,
        document_br -> Binary,
        item -> Text,
        etag -> Text,
        surrogate_keys -> Text,
        modified_at -> Timestamp,
        valid_until -> Nullable<Timestamp>,
        render_key -> Text,
    }
}

diesel::table! {
    delivery_queue (article_id) {
        article_id -> Text,
    }
}
