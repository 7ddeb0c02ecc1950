"""What every area uses: database types, time, i18n, access control, audit, pages shared by all."""
